using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ImageWorkbench.Pipeline.Results;

/// <summary>
/// The one set of serializer options behind every JSON file the workbench writes (report.json, bench.json, <c>evaluate --json</c>):
/// camelCase keys taken from the record properties, indented, and a figure that was not measured (NaN or infinite) written as <c>null</c>.
/// </summary>
public static class ResultJson
{
    /// <summary>Serializer options shared by the JSON writers; read-only once built.</summary>
    public static JsonSerializerOptions Options { get; } = Create();

    /// <summary>A document as written to disk: indented, with a final newline.</summary>
    public static string ToText<T>(T document) => JsonSerializer.Serialize(document, Options) + "\n";

    /// <summary>The keys a record is written with, in document order (for documentation checks).</summary>
    public static IReadOnlyList<string> Keys<T>() =>
        [.. typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetCustomAttribute<JsonIgnoreAttribute>() is null)
            .OrderBy(p => p.GetCustomAttribute<JsonPropertyOrderAttribute>()?.Order ?? 0)
            .Select(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? Options.PropertyNamingPolicy!.ConvertName(p.Name))];

    /// <summary>A timestamp as the JSON files write it: ISO 8601 UTC with milliseconds, e.g. <c>2025-03-04T05:06:07.000Z</c>.</summary>
    public static string Timestamp(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions
        {
            WriteIndented = true,
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            DictionaryKeyPolicy = null,
        };
        options.Converters.Add(new MeasuredDoubleConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>Writes NaN and infinities (a figure not measured) as <c>null</c> and reads <c>null</c> back as NaN.</summary>
    private sealed class MeasuredDoubleConverter : JsonConverter<double>
    {
        public override bool HandleNull => true;

        public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Null ? double.NaN : reader.GetDouble();

        public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
        {
            if (double.IsFinite(value))
            {
                writer.WriteNumberValue(value);
            }
            else
            {
                writer.WriteNullValue();
            }
        }
    }
}
