// usage: ConsoleApp model.zip image...

using ImageWorkbench.Runtime.Models;

using var classifier = ImageClassifier.Load(args[0]);
foreach (var image in args.Skip(1))
{
    Prediction p = classifier.Predict(image);
    Console.WriteLine($"{image}: {p.Label} ({p.Confidence:P1})");
}
