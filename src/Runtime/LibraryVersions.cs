using System.Reflection;

namespace ImageWorkbench.Runtime;

/// <summary>Versions of the libraries a model was made with, for its metadata.</summary>
public static class LibraryVersions
{
    public static IReadOnlyDictionary<string, string> Current() => new SortedDictionary<string, string>(StringComparer.Ordinal)
    {
        ["Pipeline"] = Version(typeof(LibraryVersions).Assembly),
        ["FeatureExtractors"] = Version(typeof(FeatureExtractors.ImageShape).Assembly),
        ["Microsoft.ML"] = Version(typeof(Microsoft.ML.MLContext).Assembly),
        ["dotnet"] = Environment.Version.ToString(),
    };

    internal static string Version(Assembly assembly) =>
        assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? assembly.GetName().Version?.ToString()
        ?? "unknown";
}
