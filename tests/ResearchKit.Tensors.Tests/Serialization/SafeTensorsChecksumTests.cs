using ResearchKit.Tensors;
using ResearchKit.Tensors.Serialization;
using Xunit;

namespace ResearchKit.Tensors.Tests.Serialization;

/// <summary>The checkpoint checksum: written into the metadata, verified on read, and sensitive to every byte it covers.</summary>
public class SafeTensorsChecksumTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rk-checksum-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static SafeTensorEntry[] Entries() =>
    [
        SafeTensors.ToEntry("w", Tensor.Randn([4, 5], new Generator(1))),
        SafeTensors.ToEntry("steps", Tensor.FromArray(new long[] { 3, 16_777_217 }, [2])),
    ];

    private string Write(IReadOnlyDictionary<string, string> metadata)
    {
        string path = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".safetensors");
        var tensors = new Dictionary<string, Tensor> { ["w"] = Tensor.Randn([4, 5], new Generator(1)), ["steps"] = Tensor.FromArray(new long[] { 3, 16_777_217 }, [2]) };
        SafeTensors.Save(path, tensors, metadata);
        return path;
    }

    [Fact]
    public void AFileWrittenWithItsChecksum_Verifies()
    {
        var meta = SafeTensorsChecksum.WithChecksum(Entries(), new Dictionary<string, string> { ["step"] = "20" });
        Assert.StartsWith("sha256:", meta[SafeTensorsChecksum.MetadataKey]);
        Assert.Equal(64 + 7, meta[SafeTensorsChecksum.MetadataKey].Length);
        var doc = SafeTensorsFile.Read(Write(meta));
        Assert.Equal(SafeTensorsChecksumStatus.Verified, SafeTensorsChecksum.Check(doc, out var expected, out var actual));
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void EveryFlippedByteOfTheTensorData_IsAMismatch()
    {
        string path = Write(SafeTensorsChecksum.WithChecksum(Entries(), null));
        byte[] bytes = File.ReadAllBytes(path);
        long headerLength = BitConverter.ToInt64(bytes, 0);
        int dataStart = 8 + (int)headerLength;
        for (int i = dataStart; i < bytes.Length; i++)
        {
            var corrupt = (byte[])bytes.Clone();
            corrupt[i] ^= 0x10;
            File.WriteAllBytes(path, corrupt);
            Assert.Equal(SafeTensorsChecksumStatus.Mismatch, SafeTensorsChecksum.Check(SafeTensorsFile.Read(path), out _, out _));
        }
    }

    [Fact]
    public void ChangedMetadata_IsAMismatch_AndAFileWithoutAChecksumIsAbsent()
    {
        var meta = SafeTensorsChecksum.WithChecksum(Entries(), new Dictionary<string, string> { ["lr"] = "0.1" });
        var edited = new Dictionary<string, string>(meta) { ["lr"] = "0.2" };
        Assert.Equal(SafeTensorsChecksumStatus.Mismatch, SafeTensorsChecksum.Check(SafeTensorsFile.Read(Write(edited)), out _, out _));
        Assert.Equal(SafeTensorsChecksumStatus.Absent, SafeTensorsChecksum.Check(SafeTensorsFile.Read(Write(new Dictionary<string, string>())), out var expected, out _));
        Assert.Null(expected);
    }

    [Fact]
    public void TheChecksumDoesNotDependOnMetadataOrder_ButOnTensorNamesAndShapes()
    {
        var a = SafeTensorsChecksum.Compute(Entries(), new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" });
        var b = SafeTensorsChecksum.Compute(Entries(), new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" });
        Assert.Equal(a, b);
        var renamed = Entries();
        renamed[0] = SafeTensors.ToEntry("w2", Tensor.Randn([4, 5], new Generator(1)));
        Assert.NotEqual(a, SafeTensorsChecksum.Compute(renamed, new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" }));
        var reshaped = Entries();
        reshaped[0] = SafeTensors.ToEntry("w", Tensor.Randn([4, 5], new Generator(1)).Reshape(5, 4));
        Assert.NotEqual(a, SafeTensorsChecksum.Compute(reshaped, new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" }));
    }
}
