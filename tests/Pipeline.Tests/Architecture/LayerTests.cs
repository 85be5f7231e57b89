using System.Text;
using System.Text.RegularExpressions;

namespace ImageWorkbench.Pipeline.Tests.Architecture;

/// <summary>
/// The layers, checked by reading the source: FeatureExtractors &lt;- Runtime &lt;- Pipeline &lt;- Pipeline.Cli, each
/// importing only downward (project references and namespace use), and no import loop between the folders
/// (namespaces) of one assembly. A failure names the offending files.
/// </summary>
public class LayerTests
{
    /// <summary>The assemblies under src/, lowest first: each may use only the ones before it.</summary>
    private static readonly string[] Layers = ["FeatureExtractors", "Runtime", "Pipeline", "Pipeline.Cli"];

    [Fact]
    public void No_import_loop_between_the_folders_of_an_assembly()
    {
        var graph = SourceGraph.Read(Path.Combine(ArchitectureTests.RepoRoot(), "src"), Layers);
        var loops = graph.Loops();
        Assert.True(loops.Count == 0, "import loops between namespaces (break each by moving the type both sides need down):\n" + string.Join("\n", loops));
    }

    [Fact]
    public void Namespaces_are_used_only_downward_across_the_layers()
    {
        var graph = SourceGraph.Read(Path.Combine(ArchitectureTests.RepoRoot(), "src"), Layers);
        var upward = graph.UpwardUses();
        Assert.True(upward.Count == 0, "upward references (a layer may use only the layers below it: " + string.Join(" <- ", Layers) + "):\n" + string.Join("\n", upward));
    }

    [Fact]
    public void Project_references_point_only_downward()
    {
        var src = Path.Combine(ArchitectureTests.RepoRoot(), "src");
        var offenders = new List<string>();
        for (var layer = 0; layer < Layers.Length; layer++)
        {
            var project = Path.Combine(src, Layers[layer], Layers[layer] + ".csproj");
            foreach (Match reference in Regex.Matches(File.ReadAllText(project), "<ProjectReference\\s+Include=\"([^\"]+)\""))
            {
                var target = Path.GetFileNameWithoutExtension(reference.Groups[1].Value.Replace('\\', '/'));
                var targetLayer = Array.IndexOf(Layers, target);
                if (targetLayer < 0 || targetLayer >= layer)
                {
                    offenders.Add($"{Relative(src, project)} references {reference.Groups[1].Value}");
                }
            }
        }

        Assert.True(offenders.Count == 0, "project references that do not point to a lower layer:\n" + string.Join("\n", offenders));
    }

    [Fact]
    public void FeatureExtractors_use_no_MLNET_and_the_Runtime_no_reporting()
    {
        var src = Path.Combine(ArchitectureTests.RepoRoot(), "src");
        var offenders = new List<string>();
        var extractors = Path.Combine(src, "FeatureExtractors");
        if (File.ReadAllText(Path.Combine(extractors, "FeatureExtractors.csproj")).Contains("Microsoft.ML", StringComparison.Ordinal))
        {
            offenders.Add("FeatureExtractors/FeatureExtractors.csproj references a Microsoft.ML package");
        }

        foreach (var file in SourceGraph.SourceFiles(extractors))
        {
            var code = CSharpText.CodeOnly(File.ReadAllText(file));
            if (Regex.IsMatch(code, @"\bMicrosoft\.ML\b|\bMLContext\b|\bIDataView\b"))
            {
                offenders.Add($"{Relative(src, file)} uses ML.NET");
            }
        }

        var runtimeProject = File.ReadAllText(Path.Combine(src, "Runtime", "Runtime.csproj"));
        foreach (var reporting in new[] { "OxyPlot", "HarfBuzz" })
        {
            if (runtimeProject.Contains(reporting, StringComparison.Ordinal))
            {
                offenders.Add($"Runtime/Runtime.csproj references {reporting} (reporting belongs to the workbench)");
            }
        }

        // LibTorch (about 600 MB) stays out of apps that only predict: a trained CNN is saved as ONNX.
        if (runtimeProject.Contains("TorchSharp", StringComparison.OrdinalIgnoreCase))
        {
            offenders.Add("Runtime/Runtime.csproj references TorchSharp (training belongs to the workbench; models predict with ONNX Runtime)");
        }

        Assert.True(offenders.Count == 0, string.Join("\n", offenders));
    }

    // ----------------------------------------------------------------- the checker checks itself on small sources

    [Fact]
    public void A_loop_through_a_using_a_qualified_name_and_a_parent_type_is_found_and_its_files_named()
    {
        var graph = SourceGraph.FromSources(
        [
            ("Pipeline", "Pipeline/Root.cs", "namespace ImageWorkbench.Pipeline;\npublic sealed class RootThing { }\n"),
            ("Pipeline", "Pipeline/A/One.cs", "using ImageWorkbench.Pipeline.B;\nnamespace ImageWorkbench.Pipeline.A;\npublic class One { Two? t; }\n"),
            ("Pipeline", "Pipeline/B/Two.cs", "namespace ImageWorkbench.Pipeline.B;\npublic class Two { ImageWorkbench.Pipeline.C.Three? t; }\n"),
            ("Pipeline", "Pipeline/C/Three.cs", "namespace ImageWorkbench.Pipeline.C;\npublic class Three { A.One? o; // B.Two in a comment is no use\n string s = \"ImageWorkbench.Pipeline.B\"; }\n"),
            ("Pipeline", "Pipeline/D/Four.cs", "namespace ImageWorkbench.Pipeline.D;\npublic class Four { RootThing? r; string s = $\"{nameof(Four)}\"; }\n"),
            ("Pipeline", "Pipeline/RootUser.cs", "namespace ImageWorkbench.Pipeline;\npublic class RootUser { D.Four? f; }\n"),
        ]);

        var loops = graph.Loops();
        Assert.Equal(2, loops.Count);
        var abc = Assert.Single(loops, l => l.Contains("ImageWorkbench.Pipeline.A ->", StringComparison.Ordinal));
        Assert.Contains("Pipeline/A/One.cs", abc, StringComparison.Ordinal);
        Assert.Contains("Pipeline/B/Two.cs", abc, StringComparison.Ordinal);
        Assert.Contains("Pipeline/C/Three.cs", abc, StringComparison.Ordinal);
        var root = Assert.Single(loops, l => l.Contains("ImageWorkbench.Pipeline.D", StringComparison.Ordinal));
        Assert.Contains("Pipeline/D/Four.cs", root, StringComparison.Ordinal);
        Assert.Contains("Pipeline/RootUser.cs", root, StringComparison.Ordinal);
    }

    [Fact]
    public void An_upward_use_is_found_by_using_and_by_qualified_name()
    {
        var graph = SourceGraph.FromSources(
        [
            ("Runtime", "Runtime/Low.cs", "using ImageWorkbench.Pipeline.Reports;\nnamespace ImageWorkbench.Runtime;\npublic class Low { }\n"),
            ("Runtime", "Runtime/Other.cs", "namespace ImageWorkbench.Runtime.Models;\npublic class Other { global::ImageWorkbench.Pipeline.Cli.Program? p; }\n"),
            ("Pipeline", "Pipeline/Reports/High.cs", "using ImageWorkbench.Runtime;\nnamespace ImageWorkbench.Pipeline.Reports;\npublic class High { }\n"),
            ("Pipeline.Cli", "Pipeline.Cli/Program.cs", "namespace ImageWorkbench.Pipeline.Cli;\npublic class Program { }\n"),
        ], ["Runtime", "Pipeline", "Pipeline.Cli"]);

        var upward = graph.UpwardUses();
        Assert.Equal(2, upward.Count);
        Assert.Contains(upward, u => u.StartsWith("Runtime/Low.cs", StringComparison.Ordinal) && u.Contains("ImageWorkbench.Pipeline.Reports", StringComparison.Ordinal));
        Assert.Contains(upward, u => u.StartsWith("Runtime/Other.cs", StringComparison.Ordinal) && u.Contains("ImageWorkbench.Pipeline.Cli", StringComparison.Ordinal));
    }

    private static string Relative(string root, string path) => Path.GetRelativePath(root, path).Replace('\\', '/');

    /// <summary>Which namespaces each source file uses, read from its namespace, using directives and qualified names.</summary>
    private sealed class SourceGraph
    {
        private readonly List<SourceFile> _files;
        private readonly string[] _layers;
        private readonly Dictionary<string, string> _assemblyOfNamespace = new(StringComparer.Ordinal);
        private readonly Dictionary<string, HashSet<string>> _typesOfNamespace = new(StringComparer.Ordinal);

        private SourceGraph(List<SourceFile> files, string[] layers)
        {
            _files = files;
            _layers = layers;
            foreach (var file in files)
            {
                _assemblyOfNamespace.TryAdd(file.Namespace, file.Assembly);
                if (!_typesOfNamespace.TryGetValue(file.Namespace, out var types))
                {
                    _typesOfNamespace[file.Namespace] = types = new HashSet<string>(StringComparer.Ordinal);
                }

                types.UnionWith(file.DeclaredTypes);
            }

            foreach (var file in files)
            {
                file.Uses = NamespacesUsedBy(file);
            }
        }

        public static SourceGraph Read(string src, string[] layers)
        {
            var sources = new List<(string Assembly, string Path, string Text)>();
            foreach (var layer in layers)
            {
                var folder = Path.Combine(src, layer);
                sources.AddRange(SourceFiles(folder).Select(f => (layer, Relative(src, f), File.ReadAllText(f))));
            }

            Assert.True(sources.Count > 50, $"only {sources.Count} source files found under {src}");
            return FromSources(sources, layers);
        }

        public static SourceGraph FromSources(IEnumerable<(string Assembly, string Path, string Text)> sources, string[]? layers = null) =>
            new(sources.Select(s => SourceFile.Parse(s.Assembly, s.Path, s.Text)).ToList(), layers ?? Layers);

        public static IEnumerable<string> SourceFiles(string folder) =>
            Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories)
                .Where(f => !Relative(folder, f).Split('/').Any(part => part is "bin" or "obj"))
                .Order(StringComparer.Ordinal);

        /// <summary>Each loop between namespaces of one assembly, with the files behind every edge of it.</summary>
        public List<string> Loops()
        {
            var edges = new Dictionary<(string From, string To), List<string>>();
            foreach (var file in _files)
            {
                foreach (var used in file.Uses.Where(u => u != file.Namespace && _assemblyOfNamespace.GetValueOrDefault(u) == file.Assembly))
                {
                    if (!edges.TryGetValue((file.Namespace, used), out var why))
                    {
                        edges[(file.Namespace, used)] = why = [];
                    }

                    why.Add(file.Path);
                }
            }

            var result = new List<string>();
            foreach (var component in StronglyConnected(edges.Keys))
            {
                var inside = edges.Where(e => component.Contains(e.Key.From) && component.Contains(e.Key.To)).OrderBy(e => e.Key.From, StringComparer.Ordinal).ThenBy(e => e.Key.To, StringComparer.Ordinal);
                var text = new StringBuilder();
                text.Append("loop: ").AppendJoin(" -> ", component.Order(StringComparer.Ordinal)).Append(" -> ...");
                foreach (var ((from, to), files) in inside)
                {
                    text.Append("\n  ").Append(from).Append(" -> ").Append(to).Append(": ").AppendJoin(", ", files);
                }

                result.Add(text.ToString());
            }

            return result;
        }

        /// <summary>Files that use a namespace of a higher layer than their own assembly.</summary>
        public List<string> UpwardUses()
        {
            var result = new List<string>();
            foreach (var file in _files)
            {
                var layer = Array.IndexOf(_layers, file.Assembly);
                foreach (var used in file.Uses)
                {
                    if (_assemblyOfNamespace.TryGetValue(used, out var owner) && Array.IndexOf(_layers, owner) > layer)
                    {
                        result.Add($"{file.Path} ({file.Assembly}) uses {used} ({owner})");
                    }
                }
            }

            return result;
        }

        /// <summary>
        /// Namespaces a file uses: its using directives, fully or partly qualified names (resolved as the compiler
        /// does, against the file's namespace and its parents), and types of a parent namespace named without any
        /// qualification (C# makes those visible without a using).
        /// </summary>
        private HashSet<string> NamespacesUsedBy(SourceFile file)
        {
            var used = new HashSet<string>(StringComparer.Ordinal);
            foreach (var target in file.Usings)
            {
                if (Longest(target) is { } known)
                {
                    used.Add(known);
                }
            }

            var parents = Parents(file.Namespace).ToList();
            foreach (Match name in Regex.Matches(file.Code, @"(?<![\w.])(?:global::)?([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)"))
            {
                var dotted = name.Groups[1].Value;
                var resolved = Longest(dotted) ?? parents.Select(p => Longest(p + "." + dotted, minLength: p.Length + 1)).FirstOrDefault(n => n is not null);
                if (resolved is not null)
                {
                    used.Add(resolved);
                }
            }

            var identifiers = Regex.Matches(file.Code, @"(?<![\w.])[A-Z]\w*").Select(m => m.Value).ToHashSet(StringComparer.Ordinal);
            foreach (var parent in parents.Skip(1))
            {
                if (_typesOfNamespace.TryGetValue(parent, out var types) && types.Any(t => identifiers.Contains(t) && !file.DeclaredTypes.Contains(t)))
                {
                    used.Add(parent);
                }
            }

            return used;
        }

        /// <summary>The longest known namespace that <paramref name="dotted"/> starts with (a type or member may follow).</summary>
        private string? Longest(string dotted, int minLength = 1)
        {
            for (var candidate = dotted; candidate.Length >= minLength; candidate = candidate[..Math.Max(candidate.LastIndexOf('.'), 0)])
            {
                if (_assemblyOfNamespace.ContainsKey(candidate))
                {
                    return candidate;
                }

                if (!candidate.Contains('.', StringComparison.Ordinal))
                {
                    break;
                }
            }

            return null;
        }

        /// <summary>The namespace itself, then each enclosing one: A.B.C, A.B, A.</summary>
        private static IEnumerable<string> Parents(string ns)
        {
            for (var current = ns; current.Length > 0; current = current.Contains('.', StringComparison.Ordinal) ? current[..current.LastIndexOf('.')] : string.Empty)
            {
                yield return current;
            }
        }

        /// <summary>Tarjan's algorithm: the strongly connected components with more than one namespace.</summary>
        private static List<HashSet<string>> StronglyConnected(IEnumerable<(string From, string To)> edges)
        {
            var next = edges.GroupBy(e => e.From, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Select(e => e.To).Order(StringComparer.Ordinal).ToList(), StringComparer.Ordinal);
            var nodes = next.Keys.Concat(next.Values.SelectMany(v => v)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            var index = new Dictionary<string, int>(StringComparer.Ordinal);
            var low = new Dictionary<string, int>(StringComparer.Ordinal);
            var stack = new Stack<string>();
            var onStack = new HashSet<string>(StringComparer.Ordinal);
            var result = new List<HashSet<string>>();

            void Visit(string node)
            {
                index[node] = low[node] = index.Count;
                stack.Push(node);
                onStack.Add(node);
                foreach (var target in next.GetValueOrDefault(node) ?? [])
                {
                    if (!index.ContainsKey(target))
                    {
                        Visit(target);
                        low[node] = Math.Min(low[node], low[target]);
                    }
                    else if (onStack.Contains(target))
                    {
                        low[node] = Math.Min(low[node], index[target]);
                    }
                }

                if (low[node] == index[node])
                {
                    var component = new HashSet<string>(StringComparer.Ordinal);
                    string member;
                    do
                    {
                        member = stack.Pop();
                        onStack.Remove(member);
                        component.Add(member);
                    }
                    while (member != node);

                    if (component.Count > 1)
                    {
                        result.Add(component);
                    }
                }
            }

            foreach (var node in nodes.Where(n => !index.ContainsKey(n)))
            {
                Visit(node);
            }

            return result;
        }
    }

    private sealed class SourceFile
    {
        public required string Assembly { get; init; }

        public required string Path { get; init; }

        public required string Namespace { get; init; }

        /// <summary>The text without comments and string contents (interpolation holes kept).</summary>
        public required string Code { get; init; }

        /// <summary>Targets of the using directives (namespaces, or types for <c>using static</c> and aliases).</summary>
        public required List<string> Usings { get; init; }

        /// <summary>Top-level types declared in the file.</summary>
        public required HashSet<string> DeclaredTypes { get; init; }

        public HashSet<string> Uses { get; set; } = [];

        public static SourceFile Parse(string assembly, string path, string text)
        {
            var code = CSharpText.CodeOnly(text);
            var fileScoped = Regex.Match(code, @"^\s*namespace\s+([\w.]+)\s*;", RegexOptions.Multiline);
            var block = Regex.Match(code, @"^\s*namespace\s+([\w.]+)\s*\{", RegexOptions.Multiline);
            var ns = fileScoped.Success ? fileScoped.Groups[1].Value : block.Success ? block.Groups[1].Value : string.Empty;
            var usings = Regex.Matches(code, @"^\s*(?:global\s+)?using\s+(?:static\s+)?(?:\w+\s*=\s*)?(?:global::)?([\w.]+)\s*;", RegexOptions.Multiline)
                .Select(m => m.Groups[1].Value).ToList();
            return new SourceFile
            {
                Assembly = assembly,
                Path = path,
                Namespace = ns,
                Code = code,
                Usings = usings,
                DeclaredTypes = TopLevelTypes(code, fileScoped.Success ? 0 : 1),
            };
        }

        private static HashSet<string> TopLevelTypes(string code, int depth)
        {
            var types = new HashSet<string>(StringComparer.Ordinal);
            var declaration = new Regex(@"\b(?:class|struct|interface|enum|record(?:\s+(?:class|struct))?)\s+([A-Za-z_]\w*)|\bdelegate\s+[\w<>\[\],.?\s]+?\s([A-Za-z_]\w*)\s*[<(]");
            var level = 0;
            var start = 0;
            for (var i = 0; i <= code.Length; i++)
            {
                if (i == code.Length || code[i] is '{' or '}')
                {
                    if (level == depth)
                    {
                        foreach (Match m in declaration.Matches(code[start..i]))
                        {
                            types.Add(m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value);
                        }
                    }

                    if (i < code.Length)
                    {
                        level += code[i] == '{' ? 1 : -1;
                        start = i + 1;
                    }
                }
            }

            return types;
        }
    }

    /// <summary>A small C# lexer: blanks comments, string and character literals, keeping interpolation holes as code.</summary>
    private static class CSharpText
    {
        public static string CodeOnly(string text)
        {
            var output = new StringBuilder(text.Length);
            var i = 0;
            Code(text, ref i, output, stopAtBrace: false);
            return output.ToString();
        }

        /// <summary>Copies code from <paramref name="i"/>; inside an interpolation hole, stops after the closing brace.</summary>
        private static void Code(string text, ref int i, StringBuilder output, bool stopAtBrace)
        {
            var depth = 0;
            while (i < text.Length)
            {
                var c = text[i];
                if (c == '/' && At(text, i + 1, '/'))
                {
                    while (i < text.Length && text[i] != '\n')
                    {
                        i++;
                    }
                }
                else if (c == '/' && At(text, i + 1, '*'))
                {
                    var end = text.IndexOf("*/", i + 2, StringComparison.Ordinal);
                    i = end < 0 ? text.Length : end + 2;
                    output.Append(' ');
                }
                else if (c == '\'')
                {
                    i++;
                    while (i < text.Length && text[i] != '\'')
                    {
                        i += text[i] == '\\' ? 2 : 1;
                    }

                    i++;
                    output.Append("' '");
                }
                else if (c is '"' or '$' or '@' && StringStart(text, i) is { } start)
                {
                    i = start.QuotesAt;
                    StringLiteral(text, ref i, output, start.Interpolated, start.Verbatim);
                }
                else
                {
                    if (stopAtBrace && c == '{')
                    {
                        depth++;
                    }
                    else if (stopAtBrace && c == '}' && depth-- == 0)
                    {
                        i++;
                        return;
                    }

                    output.Append(c);
                    i++;
                }
            }
        }

        /// <summary>A string literal starting at <paramref name="i"/>: its prefix ($, @, $@, @$, $$...) and where the quotes begin.</summary>
        private static (int QuotesAt, bool Interpolated, bool Verbatim)? StringStart(string text, int i)
        {
            if (i > 0 && (char.IsLetterOrDigit(text[i - 1]) || text[i - 1] == '_') && text[i] != '"')
            {
                return null;
            }

            var j = i;
            var interpolated = false;
            var verbatim = false;
            while (j < text.Length && text[j] is '$' or '@')
            {
                interpolated |= text[j] == '$';
                verbatim |= text[j] == '@';
                j++;
            }

            return At(text, j, '"') ? (j, interpolated, verbatim) : null;
        }

        private static void StringLiteral(string text, ref int i, StringBuilder output, bool interpolated, bool verbatim)
        {
            var quotes = 0;
            while (At(text, i + quotes, '"'))
            {
                quotes++;
            }

            output.Append('"');
            if (quotes >= 3)
            {
                // Raw string: blanked whole (interpolation holes in raw strings are not read).
                var end = text.IndexOf(new string('"', quotes), i + quotes, StringComparison.Ordinal);
                i = end < 0 ? text.Length : end + quotes;
                output.Append('"');
                return;
            }

            i++;
            while (i < text.Length)
            {
                var c = text[i];
                if (c == '"' && verbatim && At(text, i + 1, '"'))
                {
                    i += 2;
                }
                else if (c == '"')
                {
                    i++;
                    break;
                }
                else if (c == '\\' && !verbatim)
                {
                    i += 2;
                }
                else if (interpolated && c == '{' && At(text, i + 1, '{'))
                {
                    i += 2;
                }
                else if (interpolated && c == '{')
                {
                    i++;
                    output.Append(' ');
                    Code(text, ref i, output, stopAtBrace: true);
                    output.Append(' ');
                }
                else
                {
                    i++;
                }
            }

            output.Append('"');
        }

        private static bool At(string text, int i, char c) => i < text.Length && text[i] == c;
    }
}
