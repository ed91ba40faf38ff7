using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using ResearchKit.Tensors.Serialization;
using Xunit;

namespace ResearchKit.Tensors.Tests.Serialization;

/// <summary>Builders and stream doubles shared by the safetensors tests.</summary>
internal static class SafeTensorsTestHelpers
{
    /// <summary>Builds a file byte by byte: 8-byte LE length, the header text (UTF-8), the data bytes.</summary>
    internal static byte[] Build(string header, ReadOnlySpan<byte> data, ulong? lengthOverride = null)
    {
        byte[] headerBytes = Encoding.UTF8.GetBytes(header);
        return Build(headerBytes, data, lengthOverride);
    }

    /// <summary>Same as <see cref="Build(string, ReadOnlySpan{byte}, ulong?)"/> with raw header bytes.</summary>
    internal static byte[] Build(ReadOnlySpan<byte> header, ReadOnlySpan<byte> data, ulong? lengthOverride = null)
    {
        var file = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, lengthOverride ?? (ulong)header.Length);
        header.CopyTo(file.AsSpan(8));
        data.CopyTo(file.AsSpan(8 + header.Length));
        return file;
    }

    /// <summary>Little-endian bytes of floats.</summary>
    internal static byte[] F32Bytes(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        return bytes;
    }

    /// <summary>Little-endian bytes of 16-bit patterns.</summary>
    internal static byte[] U16Bytes(params ushort[] values)
    {
        var bytes = new byte[values.Length * 2];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), values[i]);
        return bytes;
    }

    /// <summary>
    /// Reads through a seekable stream and the in-memory reader, asserting the same exception message, plus a
    /// non-seekable stream (message may differ for truncation), and returns the in-memory exception.
    /// </summary>
    internal static SafeTensorsFormatException AssertInvalid(byte[] file, params string[] fragments)
    {
        const string name = "bad.safetensors";
        var ex = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Read(file, name));
        Assert.StartsWith($"Invalid safetensors file '{name}': ", ex.Message);
        Assert.Equal(name, ex.FileName);
        foreach (string fragment in fragments) Assert.Contains(fragment, ex.Message, StringComparison.OrdinalIgnoreCase);

        var fromStream = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Read(new MemoryStream(file), name));
        Assert.Equal(ex.Message, fromStream.Message);
        Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Read(new NonSeekableStream(file), name));
        return ex;
    }
}

/// <summary>Forward-only stream that returns at most 3 bytes per read, to exercise partial reads.</summary>
internal sealed class NonSeekableStream(byte[] data) : Stream
{
    private int _position;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = Math.Min(Math.Min(3, buffer.Length), data.Length - _position);
        data.AsSpan(_position, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>Memory whose contents cannot be read: simulates an I/O failure in the middle of a save.</summary>
internal sealed class FailingMemoryManager : MemoryManager<byte>
{
    public Memory<byte> Create(int length) => CreateMemory(length);
    public override Span<byte> GetSpan() => throw new IOException("simulated failure while writing tensor data");
    public override MemoryHandle Pin(int elementIndex = 0) => throw new NotSupportedException();
    public override void Unpin() { }
    protected override void Dispose(bool disposing) { }
}
