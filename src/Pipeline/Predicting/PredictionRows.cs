using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Files;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Predicting;

/// <summary>The two file formats of <c>predict --out</c>: chosen by the file's extension.</summary>
public enum PredictionFileFormat
{
    /// <summary><c>.csv</c>: a header line, then one RFC 4180 line per image.</summary>
    Csv,

    /// <summary><c>.jsonl</c> or <c>.ndjson</c>: one JSON object per line, with the CSV's column names as keys.</summary>
    JsonLines,
}

/// <summary>What a batch run turns a model's answer into.</summary>
/// <param name="TopK">Columns <c>label_1,score_1 .. label_K,score_K</c> per row (0: none).</param>
/// <param name="MinConfidence">Answers whose best score is below this become <see cref="PredictionRows.Unknown"/> (null: none do).</param>
public sealed record PredictionRowOptions(int TopK = 0, double? MinConfidence = null);

/// <summary>How a batch went: images, failures, out-of-distribution flags, answers turned into <c>unknown</c>.</summary>
public sealed record BatchPredictionSummary(long Images, long Failed, long OutOfDistribution, long Unknown, double Seconds)
{
    public double FailedFraction => Images == 0 ? 0 : (double)Failed / Images;

    public double ImagesPerSecond => Seconds <= 0 ? 0 : Images / Seconds;
}

/// <summary>
/// The rows of <c>predict --out</c>: <c>path,label,confidence[,label_1,score_1,..],out_of_distribution,error</c>,
/// one per image, written as they come. A failed image has an empty label and confidence and its reason in
/// <c>error</c>; an image unlike the training data has the reason in <c>out_of_distribution</c>.
/// </summary>
public static class PredictionRows
{
    /// <summary>The label written when the best score is below <see cref="PredictionRowOptions.MinConfidence"/>.</summary>
    public const string Unknown = "unknown";

    public static PredictionFileFormat FormatOf(string path)
    {
        var extension = Path.GetExtension(path).ToLowerInvariant();
        return extension switch
        {
            ".csv" => PredictionFileFormat.Csv,
            ".jsonl" or ".ndjson" => PredictionFileFormat.JsonLines,
            _ => throw new WorkbenchException($"{path}: the predictions file must end in .csv or .jsonl (got '{extension}')"),
        };
    }

    /// <summary>The label a row shows: the model's, or <see cref="Unknown"/> below the confidence floor.</summary>
    public static string LabelOf(Prediction prediction, PredictionRowOptions options)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(options);
        return options.MinConfidence is { } floor && prediction.Confidence < floor ? Unknown : prediction.Label;
    }

    public static IReadOnlyList<string> Columns(PredictionRowOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var columns = new List<string> { "path", "label", "confidence" };
        for (var k = 1; k <= options.TopK; k++)
        {
            columns.Add($"label_{k}");
            columns.Add($"score_{k}");
        }

        columns.Add("out_of_distribution");
        columns.Add("error");
        return columns;
    }

    /// <summary>
    /// Predicts <paramref name="paths"/> into <paramref name="outPath"/> as they finish, in input order. The file is
    /// written beside its target and renamed over it only when complete: a failure or Ctrl+C leaves any older file as
    /// it was. Returns the counts; the caller decides whether the failures are too many.
    /// </summary>
    public static BatchPredictionSummary Write(
        ImageClassifier classifier, IEnumerable<string> paths, string outPath, PredictionRowOptions options, IProgress<BatchProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(options);
        var format = FormatOf(outPath);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long images = 0, failed = 0, ood = 0, unknown = 0;
        AtomicFile.Write(outPath, stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 1 << 16, leaveOpen: true);
            if (format == PredictionFileFormat.Csv)
            {
                writer.Write(string.Join(',', Columns(options)));
                writer.Write('\n');
            }

            foreach (var result in classifier.PredictMany(paths, progress, cancellationToken))
            {
                images++;
                failed += result.Succeeded ? 0 : 1;
                ood += result.Prediction?.OutOfDistribution is null ? 0 : 1;
                unknown += result.Prediction is { } p && LabelOf(p, options) == Unknown && p.Label != Unknown ? 1 : 0;
                var values = Values(result, options);
                if (format == PredictionFileFormat.Csv)
                {
                    WriteCsvLine(writer, values);
                }
                else
                {
                    WriteJsonLine(writer, Columns(options), values);
                }
            }
        });
        return new BatchPredictionSummary(images, failed, ood, unknown, clock.Elapsed.TotalSeconds);
    }

    /// <summary>One row's values in <see cref="Columns"/> order: strings, numbers, or null for an empty cell.</summary>
    public static object?[] Values(BatchResult result, PredictionRowOptions options)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(options);
        var values = new object?[3 + (2 * options.TopK) + 2];
        values[0] = result.Name;
        if (result.Prediction is { } prediction)
        {
            values[1] = LabelOf(prediction, options);
            values[2] = prediction.Confidence;
            for (var k = 0; k < options.TopK && k < prediction.Scores.Count; k++)
            {
                values[3 + (2 * k)] = prediction.Scores[k].Key;
                values[4 + (2 * k)] = prediction.Scores[k].Value;
            }

            values[^2] = prediction.OutOfDistribution;
        }

        values[^1] = result.Error;
        return values;
    }

    private static void WriteCsvLine(TextWriter writer, object?[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (i > 0)
            {
                writer.Write(',');
            }

            switch (values[i])
            {
                case null:
                    break;
                case float f:
                    writer.Write(f.ToString("0.######", CultureInfo.InvariantCulture));
                    break;
                case string s:
                    WriteCsvField(writer, s);
                    break;
                default:
                    WriteCsvField(writer, Convert.ToString(values[i], CultureInfo.InvariantCulture) ?? string.Empty);
                    break;
            }
        }

        writer.Write('\n');
    }

    /// <summary>RFC 4180: a field holding a comma, quote or line break is quoted, quotes doubled.</summary>
    private static void WriteCsvField(TextWriter writer, string value)
    {
        if (value.AsSpan().IndexOfAny(",\"\r\n") < 0)
        {
            writer.Write(value);
            return;
        }

        writer.Write('"');
        writer.Write(value.Replace("\"", "\"\"", StringComparison.Ordinal));
        writer.Write('"');
    }

    private static void WriteJsonLine(TextWriter writer, IReadOnlyList<string> columns, object?[] values)
    {
        var row = new JsonObject();
        for (var i = 0; i < columns.Count; i++)
        {
            row[columns[i]] = values[i] switch
            {
                null => null,
                float f => JsonValue.Create(Math.Round(f, 6)),
                string s => JsonValue.Create(s),
                var other => JsonValue.Create(Convert.ToString(other, CultureInfo.InvariantCulture)),
            };
        }

        writer.Write(row.ToJsonString());
        writer.Write('\n');
    }
}
