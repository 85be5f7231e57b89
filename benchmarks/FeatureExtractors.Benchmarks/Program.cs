using BenchmarkDotNet.Running;
using ImageWorkbench.FeatureExtractors.Benchmarks;

if (args.Contains("--accuracy"))
{
    return Accuracy.Run(args);
}

if (args.Contains("--throughput"))
{
    return Throughput.Run(args);
}

BenchmarkSwitcher.FromAssembly(typeof(ExtractorBenchmarks).Assembly).Run(args);
return 0;
