using BenchmarkDotNet.Running;
using ImageWorkbench.Pipeline.Benchmarks;

// dotnet run -c Release --project benchmarks/Pipeline.Benchmarks -- --filter '*'      (all; --list flat lists them)
BenchmarkSwitcher.FromAssembly(typeof(CnnFeaturizationBenchmarks).Assembly).Run(args);
