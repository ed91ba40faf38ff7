using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using ResearchKit.Tensors.Serialization;
using Xunit;
using static ResearchKit.Tensors.Tests.Serialization.SafeTensorsTestHelpers;

namespace ResearchKit.Tensors.Tests.Serialization;

public sealed class SafeTensorsFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rk-safetensors-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // ---------------------------------------------------------------- known bytes (from the format spec)

    [Fact]
    public void Read_HandBuiltFile_GivesSpecValues()
    {
        // 8-byte LE length, JSON header, then 1.0f and 2.0f little-endian: 00 00 80 3F, 00 00 00 40.
        const string header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        byte[] file = [.. BitConverter.GetBytes((ulong)header.Length), .. Encoding.ASCII.GetBytes(header), 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0x40];
        Assert.Equal(header.Length, file[0]);

        foreach (SafeTensorsDocument doc in new[] { SafeTensorsFile.Read(file), SafeTensorsFile.Read(new MemoryStream(file)), SafeTensorsFile.Read(new NonSeekableStream(file)) })
        {
            SafeTensorEntry a = Assert.Single(doc.Entries);
            Assert.Equal("a", a.Name);
            Assert.Equal(SafeTensorDType.F32, a.DType);
            Assert.Equal([2L], a.Shape);
            Assert.Equal(2, a.ElementCount);
            Assert.Equal([1f, 2f], a.ToFloat32());
            Assert.Empty(doc.Metadata);
        }
    }

    [Fact]
    public void Read_AcceptsSpacePaddingAndMetadata()
    {
        string header = "{\"__metadata__\":{\"format\":\"pt\"},\"x\":{\"dtype\":\"I8\",\"shape\":[],\"data_offsets\":[0,1]}}";
        header += new string(' ', 8 - header.Length % 8);
        SafeTensorsDocument doc = SafeTensorsFile.Read(Build(header, [0xFE]));
        Assert.Equal("pt", doc.Metadata["format"]);
        Assert.Equal([-2L], doc["x"].ToInt64());
        Assert.Empty(doc["x"].Shape);
    }

    [Fact]
    public void Serialize_MatchesReferenceWriterBytes()
    {
        // Byte-exact expectations published with the reference implementation's test-suite.
        byte[] empty = SafeTensorsFile.Serialize([]);
        Assert.Equal([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32], empty);

        byte[] withMeta = SafeTensorsFile.Serialize([], new Dictionary<string, string> { ["framework"] = "pt" });
        Assert.Equal(Build("{\"__metadata__\":{\"framework\":\"pt\"}}     ", []), withMeta);
        Assert.Equal(40, withMeta[0]);

        float[] values = [0, 1, 2, 3, 4, 5];
        byte[] one = SafeTensorsFile.Serialize([SafeTensorEntry.FromFloat32("attn.0", values, [1, 2, 3])]);
        Assert.Equal(Build("{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}", F32Bytes(values)), one);
        Assert.Equal(64, one[0]);

        byte[] padded = SafeTensorsFile.Serialize([SafeTensorEntry.FromFloat32("attn0", values, [1, 1, 2, 3])]);
        Assert.Equal(Build("{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],\"data_offsets\":[0,24]}}       ", F32Bytes(values)), padded);
        Assert.Equal(72, padded[0]);
    }

    // ---------------------------------------------------------------- round trips

    public static TheoryData<SafeTensorDType> AllDTypes() => [.. SafeTensorDTypes.All];

    [Theory]
    [MemberData(nameof(AllDTypes))]
    public void RoundTrip_EveryDTypeAndShape_IsBitExact(SafeTensorDType dtype)
    {
        var rng = new Random(1234 + (int)dtype);
        long[][] shapes = [[], [0], [1], [7], [2, 3], [2, 0, 4], [1, 1, 1, 5], [3, 1, 4, 2]];
        var entries = new List<SafeTensorEntry>();
        for (int s = 0; s < shapes.Length; s++)
        {
            long count = 1;
            foreach (long d in shapes[s]) count *= d;
            var data = new byte[count * dtype.ElementSize()];
            rng.NextBytes(data); // raw bits: NaN payloads, subnormals, -0 must all survive
            if (dtype == SafeTensorDType.Bool) for (int i = 0; i < data.Length; i++) data[i] &= 1;
            entries.Add(new SafeTensorEntry($"t{s}.{dtype}", dtype, shapes[s], data));
        }
        string path = Path.Combine(_dir, "all.safetensors");
        SafeTensorsFile.Write(path, entries);

        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal(bytes, SafeTensorsFile.Serialize(entries));
        foreach (SafeTensorsDocument doc in new[] { SafeTensorsFile.Read(path), SafeTensorsFile.Read(bytes), SafeTensorsFile.Read(new NonSeekableStream(bytes)) })
            AssertSameEntries(entries, doc);
    }

    [Fact]
    public void RoundTrip_MixedDTypes_KeepsOrderAndAlignsPayloads()
    {
        var rng = new Random(7);
        SafeTensorDType[] dtypes = [SafeTensorDType.I8, SafeTensorDType.F64, SafeTensorDType.F16, SafeTensorDType.Bool, SafeTensorDType.F32,
            SafeTensorDType.I64, SafeTensorDType.BF16, SafeTensorDType.U8, SafeTensorDType.I16, SafeTensorDType.I32, SafeTensorDType.F64];
        var entries = new List<SafeTensorEntry>();
        for (int i = 0; i < dtypes.Length; i++)
        {
            int count = 1 + rng.Next(5); // odd sizes would misalign later payloads without the size-ordered layout
            var data = new byte[count * dtypes[i].ElementSize()];
            rng.NextBytes(data);
            if (dtypes[i] == SafeTensorDType.Bool) for (int j = 0; j < data.Length; j++) data[j] &= 1;
            entries.Add(new SafeTensorEntry($"z{dtypes.Length - i}", dtypes[i], [count], data));
        }
        byte[] file = SafeTensorsFile.Serialize(entries);
        Assert.Equal(0, BinaryPrimitives.ReadInt64LittleEndian(file) % 8);
        SafeTensorsDocument doc = SafeTensorsFile.Read(file);
        AssertSameEntries(entries, doc);
        foreach (SafeTensorEntry e in doc.Entries)
        {
            Assert.True(MemoryMarshal.TryGetArray(e.Data, out ArraySegment<byte> segment));
            Assert.Equal(0, segment.Offset % e.DType.ElementSize());
        }
    }

    [Fact]
    public void RoundTrip_Metadata()
    {
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            ["note"] = "quotes \" backslash \\ newline \n tab \t <html> & ünïcødé 🚀",
            ["empty"] = "",
            [""] = "empty key",
        };
        string path = Path.Combine(_dir, "meta.safetensors");
        SafeTensorsFile.Write(path, [SafeTensorEntry.FromInt64("step", [42], [])], metadata);
        SafeTensorsDocument doc = SafeTensorsFile.Read(path);
        Assert.Equal(metadata.Keys, doc.Metadata.Keys);
        foreach ((string k, string v) in metadata) Assert.Equal(v, doc.Metadata[k]);
        Assert.Equal([42L], doc["step"].ToInt64());

        // Non-ASCII BMP text is written as raw UTF-8 (like serde_json); System.Text.Json still \u-escapes
        // supplementary-plane characters such as the emoji, which any JSON reader decodes identically.
        byte[] raw = File.ReadAllBytes(path);
        string header = Encoding.UTF8.GetString(raw, 8, (int)BinaryPrimitives.ReadInt64LittleEndian(raw));
        Assert.Contains("& ünïcødé", header);

        // Empty metadata is omitted, as is null.
        Assert.Equal(SafeTensorsFile.Serialize([]), SafeTensorsFile.Serialize([], new Dictionary<string, string>()));
    }

    [Fact]
    public void RoundTrip_DocumentOverloadAndEmptyFile()
    {
        var doc = new SafeTensorsDocument([SafeTensorEntry.FromFloat32("w", [1.5f, -2f], [2], SafeTensorDType.BF16)], new Dictionary<string, string> { ["k"] = "v" });
        string path = Path.Combine(_dir, "doc.safetensors");
        SafeTensorsFile.Write(path, doc);
        SafeTensorsDocument back = SafeTensorsFile.Read(path);
        Assert.Equal([1.5f, -2f], back["w"].ToFloat32());
        Assert.Equal("v", back.Metadata["k"]);

        SafeTensorsFile.Write(path, []);
        SafeTensorsDocument empty = SafeTensorsFile.Read(path);
        Assert.Equal(0, empty.Count);
        Assert.Empty(empty.Metadata);
    }

    [Fact]
    public void Read_StreamAtOffset_ReadsToEndAndLeavesStreamOpen()
    {
        byte[] file = SafeTensorsFile.Serialize([SafeTensorEntry.FromInt64("a", [1, 2, 3], [3], SafeTensorDType.I16)]);
        var stream = new MemoryStream([0xAA, 0xBB, .. file]) { Position = 2 };
        SafeTensorsDocument doc = SafeTensorsFile.Read(stream);
        Assert.Equal([1L, 2, 3], doc["a"].ToInt64());
        Assert.Equal(stream.Length, stream.Position);
    }

    [Fact]
    public void Document_LookupAndErrors()
    {
        SafeTensorsDocument doc = SafeTensorsFile.Read(SafeTensorsFile.Serialize([SafeTensorEntry.FromInt64("a", [1], [1]), SafeTensorEntry.FromInt64("b", [2], [1])]));
        Assert.True(doc.Contains("a"));
        Assert.False(doc.Contains("c"));
        Assert.True(doc.TryGetEntry("b", out SafeTensorEntry? b));
        Assert.Equal([2L], b!.ToInt64());
        Assert.False(doc.TryGetEntry("c", out _));
        var ex = Assert.Throws<KeyNotFoundException>(() => doc["c"]);
        Assert.Contains("'c'", ex.Message);
        Assert.Contains("'a', 'b'", ex.Message);
        Assert.Throws<ArgumentException>(() => new SafeTensorsDocument([SafeTensorEntry.FromInt64("a", [1], [1]), SafeTensorEntry.FromInt64("a", [2], [1])]));
    }

    private static void AssertSameEntries(List<SafeTensorEntry> expected, SafeTensorsDocument doc)
    {
        Assert.Equal(expected.Count, doc.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            SafeTensorEntry e = expected[i], a = doc.Entries[i];
            Assert.Equal(e.Name, a.Name);
            Assert.Equal(e.DType, a.DType);
            Assert.Equal(e.Shape, a.Shape);
            Assert.Equal(e.Data.ToArray(), a.Data.ToArray());
            Assert.Same(a, doc[e.Name]);
        }
    }

    // ---------------------------------------------------------------- validation: length prefix and truncation

    [Fact]
    public void Read_FileShorterThanPrefix_Fails()
    {
        AssertInvalid([], "truncated", "only 0 bytes", "empty");
        AssertInvalid([5, 0, 0, 0, 0], "truncated", "only 5 bytes", "re-download");
    }

    [Fact]
    public void Read_TruncatedAtEveryByte_FailsWithTruncationMessage()
    {
        byte[] file = SafeTensorsFile.Serialize(
            [SafeTensorEntry.FromFloat32("w", [1, 2, 3], [3]), SafeTensorEntry.FromInt64("b", [7, 8], [2], SafeTensorDType.I8)],
            new Dictionary<string, string> { ["format"] = "pt" });
        int headerEnd = 8 + (int)BinaryPrimitives.ReadInt64LittleEndian(file);
        for (int cut = 0; cut < file.Length; cut++)
        {
            SafeTensorsFormatException ex = AssertInvalid(file[..cut], "truncated");
            if (cut >= headerEnd)
            {
                Assert.Contains($"data ends at byte {file.Length} but the file has {cut} bytes", ex.Message);
                Assert.Equal(cut < headerEnd + 12 ? "w" : "b", ex.TensorName);
                var streamEx = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Read(new NonSeekableStream(file[..cut]), "s"));
                Assert.Contains("the stream ended after", streamEx.Message);
            }
            else if (cut >= 8)
            {
                Assert.Contains($"header ends at byte {headerEnd} but the file has {cut} bytes", ex.Message);
            }
        }
    }

    [Fact]
    public void Read_TruncatedFileOnDisk_NamesPathTensorAndFix()
    {
        byte[] file = SafeTensorsFile.Serialize([SafeTensorEntry.FromFloat32("layer.weight", new float[100], [10, 10])]);
        string path = Path.Combine(_dir, "cut.safetensors");
        File.WriteAllBytes(path, file[..^10]);
        var ex = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Read(path));
        Assert.Equal(
            $"Invalid safetensors file '{path}': tensor 'layer.weight': the file is truncated: the header says the data ends at byte {file.Length} " +
            $"but the file has {file.Length - 10} bytes (this tensor is incomplete); re-download or re-save the checkpoint.", ex.Message);
        Assert.Equal(path, ex.FileName);
        Assert.IsAssignableFrom<IOException>(ex);
    }

    [Fact]
    public void Read_HeaderLengthAbsurdOrForeignFile_Fails()
    {
        AssertInvalid(Build("{}", [], lengthOverride: 100_000_001), "100000001 bytes", "100000000-byte limit");
        AssertInvalid(Build("{}", [], lengthOverride: ulong.MaxValue), "18446744073709551615");
        AssertInvalid(Encoding.ASCII.GetBytes("version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n"), "Git LFS pointer", "git lfs pull");
        AssertInvalid([0x50, 0x4B, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00], "zip", "torch.load");
        AssertInvalid([0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20], "pickle");
        // Header length within the limit but beyond the end of the file.
        AssertInvalid(Build("{}", [], lengthOverride: 1000), "truncated", "header ends at byte 1008 but the file has 10 bytes");
    }

    [Fact]
    public void Read_TrailingBytes_Fail()
    {
        byte[] file = SafeTensorsFile.Serialize([SafeTensorEntry.FromFloat32("w", [1, 2], [2])]);
        SafeTensorsFormatException ex = AssertInvalid([.. file, 0, 0, 0], "3 trailing bytes", $"data ends at byte {file.Length} but the file has {file.Length + 3} bytes");
        Assert.Null(ex.TensorName);
        var streamEx = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Read(new NonSeekableStream([.. file, 1])));
        Assert.Contains("trailing bytes", streamEx.Message);
        Assert.Contains("<stream>", streamEx.Message);
        // A file with no tensors must have no data either.
        AssertInvalid(Build("{}      ", [1]), "1 trailing bytes");
    }

    // ---------------------------------------------------------------- validation: header text

    [Fact]
    public void Read_InvalidHeaderText_Fails()
    {
        AssertInvalid(Build("", []), "header length is 0");
        AssertInvalid(Build("{\"a\":", []), "not valid JSON");
        AssertInvalid(Build("{\"a\":1,}", []), "not valid JSON");
        AssertInvalid(Build("{} // comment", []), "not valid JSON");
        AssertInvalid(Build("{}x", []), "not valid JSON");
        AssertInvalid(Build("{}\0\0\0\0\0\0", []), "not valid JSON", "NUL bytes", "spaces");
        AssertInvalid(Build(" {}", []), "must start with '{'", "leading whitespace");
        AssertInvalid(Build("[]", []), "must start with '{'", "'[' (0x5B)");
        AssertInvalid(Build([0xEF, 0xBB, 0xBF, (byte)'{', (byte)'}'], []), "must start with '{'", "0xEF");
        AssertInvalid(Build([(byte)'{', (byte)'"', 0xFF, (byte)'"', (byte)':', (byte)'1', (byte)'}'], []), "not valid UTF-8", "header offset 2");
    }

    [Fact]
    public void Read_BadDTypes_Fail()
    {
        SafeTensorsFormatException ex = AssertInvalid(Tensor("{\"dtype\":\"F17\",\"shape\":[1],\"data_offsets\":[0,4]}", 4), "unknown dtype \"F17\"", "F64, F32, F16, BF16");
        Assert.Equal("t", ex.TensorName);
        AssertInvalid(Tensor("{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}", 4), "case-sensitive", "\"F32\"");
        AssertInvalid(Tensor("{\"dtype\":\"U16\",\"shape\":[2],\"data_offsets\":[0,4]}", 4), "\"U16\" is valid safetensors but ResearchKit does not support it");
        AssertInvalid(Tensor("{\"dtype\":\"F8_E4M3\",\"shape\":[4],\"data_offsets\":[0,4]}", 4), "does not support");
        AssertInvalid(Tensor("{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}", 4), "\"dtype\" must be a string", "a number");
        AssertInvalid(Tensor("{\"dtype\":\"Bool\",\"shape\":[1],\"data_offsets\":[0,1]}", 1), "\"BOOL\"");
    }

    [Fact]
    public void Read_BadShapes_Fail()
    {
        AssertInvalid(Tensor("{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,0]}", 0), "\"shape\" element 0 is negative (-1)");
        AssertInvalid(Tensor("{\"dtype\":\"F32\",\"shape\":[2,2.5],\"data_offsets\":[0,20]}", 20), "element 1 is 2.5");
        AssertInvalid(Tensor("{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}", 8), "element 0 is 2.0");
        AssertInvalid(Tensor("{\"dtype\":\"F32\",\"shape\":[2e0],\"data_offsets\":[0,8]}", 8), "element 0 is 2e0");
        AssertInvalid(Tensor("{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}", 8), "element 0 is \"2\"");
        AssertInvalid(Tensor("{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,8]}", 8), "fits in 64 bits");
        AssertInvalid(Tensor("{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}", 8), "\"shape\" must be an array");
        AssertInvalid(Tensor("{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4],\"data_offsets\":[0,8]}", 8), "more than long.MaxValue elements");
        AssertInvalid(Tensor("{\"dtype\":\"F64\",\"shape\":[4611686018427387904],\"data_offsets\":[0,8]}", 8), "overflows");
    }

    [Fact]
    public void Read_BadOffsets_Fail()
    {
        AssertInvalid(Tensor("{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,12]}", 12),
            "data_offsets [0, 12] span 12 bytes, but dtype F32 with shape [2] needs 2 × 4 = 8 bytes");
        AssertInvalid(Tensor("{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,0]}", 0), "needs 1 × 4 = 4 bytes");
        AssertInvalid(Tensor("{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}", 8), "end before they begin");
        AssertInvalid(Tensor("{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}", 8), "must be [begin, end] but has 1 element");
        AssertInvalid(Tensor("{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,16]}", 8), "has 3 element");
        AssertInvalid(Tensor("{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}", 8), "negative (-8)");
        AssertInvalid(Tensor("{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":{\"begin\":0}}", 8), "\"data_offsets\" must be an array");
        // Offsets far beyond the file: a hole at the start, or truncation without 64-bit overflow in the arithmetic.
        AssertInvalid(Tensor("{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[9223372036854775799,9223372036854775807]}", 8), "hole");
        byte[] huge = Tensor("{\"dtype\":\"U8\",\"shape\":[9223372036854775807],\"data_offsets\":[0,9223372036854775807]}", 8);
        ulong hugeEnd = (ulong)(huge.Length - 8) + long.MaxValue;
        SafeTensorsFormatException hugeEx = AssertInvalid(huge, "truncated", $"data ends at byte {hugeEnd} but the file has {huge.Length} bytes");
        Assert.Equal("t", hugeEx.TensorName);
    }

    [Fact]
    public void Read_HolesAndOverlaps_Fail()
    {
        string twoTensors(int aBegin, int aEnd, int bBegin, int bEnd) =>
            $"{{\"a\":{{\"dtype\":\"U8\",\"shape\":[{aEnd - aBegin}],\"data_offsets\":[{aBegin},{aEnd}]}},\"b\":{{\"dtype\":\"U8\",\"shape\":[{bEnd - bBegin}],\"data_offsets\":[{bBegin},{bEnd}]}}}}";

        SafeTensorsFormatException hole = AssertInvalid(Build(twoTensors(0, 4, 6, 10), new byte[10]), "hole", "data bytes [4, 6) after tensor 'a' belong to no tensor");
        Assert.Equal("b", hole.TensorName);
        AssertInvalid(Build(twoTensors(2, 6, 6, 10), new byte[10]), "data bytes [0, 2) at the start of the data buffer");
        SafeTensorsFormatException overlap = AssertInvalid(Build(twoTensors(0, 6, 4, 10), new byte[10]), "overlap tensor 'a', which ends at 6");
        Assert.Equal("b", overlap.TensorName);
        AssertInvalid(Build(twoTensors(0, 4, 0, 4), new byte[4]), "overlap");
        // A zero-size tensor may sit at any tensor boundary, but not inside another tensor.
        SafeTensorsFile.Read(Build(twoTensors(0, 4, 4, 4), new byte[4]));
        SafeTensorsFile.Read(Build(twoTensors(0, 0, 0, 4), new byte[4]));
        AssertInvalid(Build(twoTensors(0, 4, 2, 2), new byte[4]), "overlap");
        // Header order need not match data order.
        SafeTensorsDocument swapped = SafeTensorsFile.Read(Build(twoTensors(3, 5, 0, 3), [1, 2, 3, 4, 5]));
        Assert.Equal(["a", "b"], swapped.Entries.Select(e => e.Name));
        Assert.Equal([4L, 5], swapped["a"].ToInt64());
        Assert.Equal([1L, 2, 3], swapped["b"].ToInt64());
    }

    [Fact]
    public void Read_DuplicatesUnknownAndMissingFields_Fail()
    {
        const string a = "{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}";
        SafeTensorsFormatException dup = AssertInvalid(Build($"{{\"a\":{a},\"a\":{a}}}", [1]), "lists this tensor name twice");
        Assert.Equal("a", dup.TensorName);
        AssertInvalid(Build($"{{\"__metadata__\":{{}},\"a\":{a},\"__metadata__\":{{}}}}", [1]), "'__metadata__' twice");
        AssertInvalid(Build($"{{\"__metadata__\":{{\"k\":\"1\",\"k\":\"2\"}},\"a\":{a}}}", [1]), "metadata key 'k' appears twice");
        AssertInvalid(Tensor("{\"dtype\":\"U8\",\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}", 1), "field \"dtype\" appears twice");
        AssertInvalid(Tensor("{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],\"extra\":0}", 1), "unexpected field \"extra\"");
        AssertInvalid(Tensor("{\"dtype\":\"U8\",\"data_offsets\":[0,1]}", 1), "no \"shape\" field");
        AssertInvalid(Tensor("{\"shape\":[1],\"data_offsets\":[0,1]}", 1), "no \"dtype\" field");
        AssertInvalid(Tensor("{\"dtype\":\"U8\",\"shape\":[1]}", 1), "no \"data_offsets\" field");
        AssertInvalid(Tensor("[0,1]", 1), "must be an object", "an array");
        AssertInvalid(Build($"{{\"__metadata__\":{{\"epochs\":3}},\"a\":{a}}}", [1]), "metadata key 'epochs' has a number value (3)", "only allows string");
        AssertInvalid(Build($"{{\"__metadata__\":[\"x\"],\"a\":{a}}}", [1]), "'__metadata__' must be a JSON object");
        AssertInvalid(Build($"{{\"__metadata__\":null,\"a\":{a}}}", [1]), "is null");
    }

    private static byte[] Tensor(string entryJson, int dataLength) => Build($"{{\"t\":{entryJson}}}", new byte[dataLength]);

    // ---------------------------------------------------------------- writing

    [Fact]
    public void Write_ReplacesExistingFileAtomicallyAndLeavesNoTempFile()
    {
        string path = Path.Combine(_dir, "model.safetensors");
        File.WriteAllText(path, "old contents");
        SafeTensorsFile.Write(path, [SafeTensorEntry.FromFloat32("w", [1, 2], [2])]);
        Assert.Equal([1f, 2f], SafeTensorsFile.Read(path)["w"].ToFloat32());
        SafeTensorsFile.Write(path, [SafeTensorEntry.FromFloat32("w", [3], [1])]);
        Assert.Equal([3f], SafeTensorsFile.Read(path)["w"].ToFloat32());
        Assert.Equal([path], Directory.GetFiles(_dir));
    }

    [Fact]
    public void Write_FailureMidSave_KeepsOldFileAndRemovesTempFile()
    {
        string path = Path.Combine(_dir, "model.safetensors");
        SafeTensorsFile.Write(path, [SafeTensorEntry.FromFloat32("w", [1, 2], [2])]);
        byte[] before = File.ReadAllBytes(path);

        var failing = new SafeTensorEntry("broken", SafeTensorDType.F32, [4], new FailingMemoryManager().Create(16));
        var ex = Assert.Throws<IOException>(() => SafeTensorsFile.Write(path, [SafeTensorEntry.FromFloat32("ok", [5], [1]), failing]));
        Assert.Contains("simulated failure", ex.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_dir));
    }

    [Fact]
    public void Write_InvalidInput_TouchesNothing()
    {
        string path = Path.Combine(_dir, "never.safetensors");
        SafeTensorEntry a = SafeTensorEntry.FromInt64("a", [1], [1]);
        var dup = Assert.Throws<ArgumentException>(() => SafeTensorsFile.Write(path, [a, SafeTensorEntry.FromInt64("b", [1], [1]), a]));
        Assert.Contains("'a' is used by entries #0 and #2", dup.Message);
        Assert.Throws<ArgumentException>(() => SafeTensorsFile.Write(path, [a, null!]));
        Assert.Throws<ArgumentException>(() => SafeTensorsFile.Write(path, [a], new Dictionary<string, string> { ["k"] = null! }));
        var surrogate = Assert.Throws<ArgumentException>(() => SafeTensorsFile.Write(path, [SafeTensorEntry.FromInt64("bad\uD800name", [1], [1])]));
        Assert.Contains("unpaired UTF-16 surrogate", surrogate.Message);
        Assert.Throws<ArgumentException>(() => SafeTensorsFile.Write(path, [a], new Dictionary<string, string> { ["k"] = "\uDC00" }));
        Assert.Empty(Directory.GetFiles(_dir));

        var missingDir = Assert.Throws<DirectoryNotFoundException>(() => SafeTensorsFile.Write(Path.Combine(_dir, "no", "such", "x.safetensors"), [a]));
        Assert.Contains("does not exist", missingDir.Message);
        Assert.Throws<ArgumentException>(() => SafeTensorsFile.Write(new MemoryStream([], writable: false), [a]));
    }

    [Fact]
    public void Read_MissingFile_ThrowsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => SafeTensorsFile.Read(Path.Combine(_dir, "missing.safetensors")));
    }
}
