using System.Text.RegularExpressions;
using CliRunner = ImageWorkbench.Pipeline.Tests.Hostile.Cli;

namespace ImageWorkbench.Pipeline.Tests.Features;

/// <summary>
/// The scheduler files under deploy/ cannot run here (no cluster, no container engine): these checks hold the fields
/// each scheduler needs, and that the shard count, the command and the image agree with the CLI.
/// </summary>
public class DeployManifestTests
{
    private static string Deploy(string relative) => File.ReadAllText(Path.Combine(CliRunner.RepoRoot(), "deploy", relative)).ReplaceLineEndings("\n");

    /// <summary>The value of the first <c>key: value</c> line (YAML scalars, comments and quotes stripped).</summary>
    private static string Value(string yaml, string key)
    {
        var match = Regex.Match(yaml, $@"^\s*{Regex.Escape(key)}:\s*(.+?)\s*(#.*)?$", RegexOptions.Multiline);
        Assert.True(match.Success, $"no '{key}:' line");
        return match.Groups[1].Value.Trim('"', '\'');
    }

    [Fact]
    public void The_kubernetes_job_is_indexed_and_gives_each_pod_its_shard()
    {
        var yaml = Deploy("kubernetes/featurize-job.yaml");
        Assert.DoesNotContain('\t', yaml);
        Assert.Equal("batch/v1", Value(yaml, "apiVersion"));
        Assert.Equal("Job", Value(yaml, "kind"));
        Assert.Equal("Indexed", Value(yaml, "completionMode"));
        Assert.Equal("Never", Value(yaml, "restartPolicy"));
        var completions = Value(yaml, "completions");
        Assert.Equal(completions, Value(yaml, "parallelism"));
        var shardCount = Regex.Match(yaml, @"- name: SHARD_COUNT\n\s+value: ""(\d+)""");
        Assert.True(shardCount.Success, "SHARD_COUNT is not set");
        Assert.Equal(completions, shardCount.Groups[1].Value);
        Assert.Contains("fieldPath: metadata.annotations['batch.kubernetes.io/job-completion-index']", yaml, StringComparison.Ordinal);

        var args = Regex.Matches(yaml[yaml.IndexOf("args:", StringComparison.Ordinal)..yaml.IndexOf("env:", StringComparison.Ordinal)], @"^\s+- (.+)$", RegexOptions.Multiline).Select(m => m.Groups[1].Value.Trim()).ToList();
        Assert.Equal("featurize", args[0]);
        Assert.Equal("$(SHARD_INDEX)/$(SHARD_COUNT)", args[args.IndexOf("--shard") + 1]);
        Assert.Equal(Value(yaml, "mountPath"), args[args.IndexOf("--data") + 1]);
        Assert.Contains($"mountPath: {args[args.IndexOf("--out") + 1]}", yaml, StringComparison.Ordinal);
    }

    [Fact]
    public void The_slurm_array_gives_each_task_its_shard()
    {
        var script = Deploy("slurm/featurize.sbatch");
        Assert.StartsWith("#!/bin/bash\n", script, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^#SBATCH --array=0-\d+$", script);
        Assert.Matches(@"(?m)^#SBATCH --cpus-per-task=\d+$", script);
        Assert.Contains("--shard \"${SLURM_ARRAY_TASK_ID}/${SLURM_ARRAY_TASK_COUNT}\"", script, StringComparison.Ordinal);
        Assert.Contains(" featurize ", script, StringComparison.Ordinal);

        // Slurm reads #SBATCH lines only above the first command.
        var lines = script.Split('\n');
        var firstCommand = Array.FindIndex(lines, l => l.Length > 0 && !l.StartsWith('#'));
        Assert.True(Array.FindLastIndex(lines, l => l.StartsWith("#SBATCH", StringComparison.Ordinal)) < firstCommand);
    }

    [Fact]
    public void The_dockerfile_publishes_the_cli_it_starts()
    {
        var dockerfile = Deploy("docker/Dockerfile");
        var publish = Regex.Match(dockerfile, @"dotnet publish (\S+\.csproj)");
        Assert.True(publish.Success);
        Assert.True(File.Exists(Path.Combine(CliRunner.RepoRoot(), publish.Groups[1].Value)), publish.Groups[1].Value);
        Assert.Contains("ENTRYPOINT [\"dotnet\", \"/app/ImageWorkbench.Pipeline.Cli.dll\"]", dockerfile, StringComparison.Ordinal);
        Assert.Contains(Value(Deploy("kubernetes/featurize-job.yaml"), "image").Split(':')[0], dockerfile, StringComparison.Ordinal);
    }
}
