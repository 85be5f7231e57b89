using ImageWorkbench.Pipeline.Data;
using ImageWorkbench.Pipeline.Tests.Cli;
using ImageWorkbench.Runtime;
using ImageWorkbench.Runtime.Decoding;
using ImageWorkbench.Runtime.Models;

namespace ImageWorkbench.Pipeline.Tests.Hostile;

/// <summary>An app that hands <see cref="ImageClassifier"/> a stream does not control how long it is.</summary>
public sealed class HostileStreamTests(HandCraftedModelFixture model) : IClassFixture<HandCraftedModelFixture>
{
    [Fact]
    public void An_endless_stream_is_refused_after_the_image_limit_not_read_forever()
    {
        Assert.Equal(0, model.ExitCode);
        using var classifier = ImageClassifier.Load(model.ModelPath);
        var endless = new EndlessStream();

        var error = Assert.Throws<ImageDecodeException>(() => classifier.Predict(endless, "upload"));

        Assert.Contains("upload", error.Message, StringComparison.Ordinal);
        Assert.True(endless.Served <= ImageDecoder.Default.MaxFileBytes + (1 << 16), $"read {endless.Served} bytes");
    }

    /// <summary>Zeros without end, as a socket or a device would give them.</summary>
    private sealed class EndlessStream : Stream
    {
        public long Served { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => Served; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            Array.Clear(buffer, offset, count);
            Served += count;
            return count;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
