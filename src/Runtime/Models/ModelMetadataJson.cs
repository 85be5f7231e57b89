using System.Text.Json.Serialization;

namespace ImageWorkbench.Runtime.Models;

/// <summary>
/// <c>metadata.json</c>'s serializer, generated at build time: the reflection-based serializer spent ~60 ms building
/// its contracts and compiling them on every model load, a tenth of a 10,000-image <c>predict</c> run. Same
/// options as before (indented, camelCase, enums as text), so packages are written and read byte for byte as then.
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true)]
[JsonSerializable(typeof(ModelMetadata))]
internal sealed partial class ModelMetadataJson : JsonSerializerContext;
