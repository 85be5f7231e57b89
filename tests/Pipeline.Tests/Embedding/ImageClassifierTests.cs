using ImageWorkbench.Pipeline.Cli;
using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Tests.Cli;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Decoding;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Tests.Embedding;

public sealed class ImageClassifierTests(HandCraftedModelFixture model) : IClassFixture<HandCraftedModelFixture>
{
    [Fact]
    public void Scores_rank_highest_first_ties_in_class_order_and_NaN_last()
    {
        string[] classes = ["a", "b", "c", "d", "e", "f"];
        float[] scores = [0.1f, float.NaN, 0.3f, 0.1f, 0.3f, 0.2f];
        var ranked = ImageClassifier.Rank(classes, scores);

        // what the LINQ ranking it replaced gave: OrderByDescending(score).ThenBy(class index)
        var expected = classes.Select((c, i) => (Pair: new KeyValuePair<string, float>(c, scores[i]), Index: i))
            .OrderByDescending(x => x.Pair.Value).ThenBy(x => x.Index).Select(x => x.Pair).ToArray();
        Assert.Equal(expected, ranked);
        Assert.Equal(["c", "e", "f", "a", "d", "b"], ranked.Select(p => p.Key));
    }

    [Fact]
    public void Eight_threads_give_exactly_the_single_threaded_answers()
    {
        Assert.Equal(0, model.ExitCode);
        var data = DatasetLoader.Load(EmbeddedDataset.Locate());
        var images = data.Test.Take(250).Select(i => i.Source).ToArray();
        using var classifier = ImageClassifier.Load(model.ModelPath);
        var expected = images.Select(i => classifier.Predict(i)).ToArray();

        const int Threads = 8;
        const int PerThread = 1000;
        var mismatches = 0;
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            for (var n = 0; n < PerThread; n++)
            {
                var k = ((t * 37) + n) % images.Length;
                var p = classifier.Predict(images[k]);
                if (p.Label != expected[k].Label || !p.Scores.Select(s => s.Value).SequenceEqual(expected[k].Scores.Select(s => s.Value)))
                {
                    Interlocked.Increment(ref mismatches);
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Equal(0, mismatches);
    }

    [Fact]
    public void Stream_bytes_and_path_inputs_agree_and_bad_images_do_not_disturb_others()
    {
        var folder = Directory.CreateTempSubdirectory("embed-").FullName;
        try
        {
            var data = DatasetLoader.Load(EmbeddedDataset.Locate());
            var png = Path.Combine(folder, "a.png");
            var pixels = new float[784];
            ImageDecoder.Default.Decode(data.Test[3].Source, new FeatureExtractors.ImageShape(28, 28, 1), FeatureExtractors.ResizeMode.Stretch, pixels);
            Pipeline.Pictures.PngWriter.Write(png, pixels, new FeatureExtractors.ImageShape(28, 28, 1));

            using var classifier = ImageClassifier.Load(model.ModelPath);
            var fromPath = classifier.Predict(png);
            var fromBytes = classifier.Predict(File.ReadAllBytes(png));
            using var stream = File.OpenRead(png);
            var fromStream = classifier.Predict(stream);
            Assert.Equal(fromPath.Scores, fromBytes.Scores);
            Assert.Equal(fromPath.Scores, fromStream.Scores);
            Assert.Equal(classifier.Classes.Count, fromPath.Scores.Count);
            Assert.True(fromPath.Scores.Zip(fromPath.Scores.Skip(1)).All(p => p.First.Value >= p.Second.Value));

            var bad = Path.Combine(folder, "bad.png");
            File.WriteAllBytes(bad, [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]);
            var ex = Assert.Throws<ImageDecodeException>(() => classifier.Predict(bad));
            Assert.Contains("bad.png", ex.Message);
            Assert.Equal(fromPath.Scores, classifier.Predict(png).Scores);

            var batch = classifier.PredictMany([png, bad, png]).ToList();
            Assert.Equal([png, bad, png], batch.Select(b => b.Name));
            Assert.Equal(fromPath.Scores, batch[0].Prediction!.Scores);
            Assert.Equal(fromPath.Scores, batch[2].Prediction!.Scores);
            Assert.Null(batch[1].Prediction);
            Assert.DoesNotContain("bad.png", batch[1].Error!, StringComparison.Ordinal); // the name is in the result, not repeated in the reason

#pragma warning disable CS0618 // the obsolete batch keeps its contract: every answer, or an exception
            Assert.All(classifier.PredictBatch([png, png]), b => Assert.Equal(fromPath.Scores, b.Scores));
            Assert.Throws<AggregateException>(() => classifier.PredictBatch([png, bad]));
#pragma warning restore CS0618
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Metadata_is_readable_and_a_damaged_model_is_a_typed_error()
    {
        using var classifier = ImageClassifier.Load(model.ModelPath);
        Assert.Equal("handcrafted", classifier.Metadata.PipelineKind);
        Assert.Equal("lbfgs", classifier.Metadata.Trainer);
        Assert.NotNull(classifier.Metadata.Training.TestAccuracy);

        var truncated = Path.Combine(model.Folder, "truncated-model.zip");
        var bytes = File.ReadAllBytes(model.ModelPath);
        File.WriteAllBytes(truncated, bytes[..(bytes.Length - 100)]);
        Assert.Throws<ModelFormatException>(() => ImageClassifier.Load(truncated));
    }
}
