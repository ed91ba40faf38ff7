using ResearchKit.Tensors.Serialization;
using Xunit;

namespace ResearchKit.Tensors.Tests.Serialization;

/// <summary>
/// Compares against a file produced by PyTorch 1.13 (safetensors_interop.py generate): reference-writer layout,
/// float data plus PyTorch's own .half()/.bfloat16()/.double()/.float() conversions of it.
/// </summary>
public sealed class SafeTensorsInteropTests
{
    // Base64 of the file written by `python3 safetensors_interop.py generate out.safetensors`.
    private const string TorchFileBase64 = """
        WAQAAAAAAAB7Il9fbWV0YWRhdGFfXyI6eyJmb3JtYXQiOiJwdCIsImdlbmVyYXRvciI6InNhZmV0ZW5zb3JzX2ludGVyb3AucHkifSwiaW50cyI6eyJk
        dHlwZSI6Ikk2NCIsInNoYXBlIjpbOF0sImRhdGFfb2Zmc2V0cyI6WzAsNjRdfSwiZCI6eyJkdHlwZSI6IkY2NCIsInNoYXBlIjpbMjldLCJkYXRhX29m
        ZnNldHMiOls2NCwyOTZdfSwic3JjX2Y2NCI6eyJkdHlwZSI6IkY2NCIsInNoYXBlIjpbNCwxNl0sImRhdGFfb2Zmc2V0cyI6WzI5Niw4MDhdfSwiZF9m
        MzIiOnsiZHR5cGUiOiJGMzIiLCJzaGFwZSI6WzI5XSwiZGF0YV9vZmZzZXRzIjpbODA4LDkyNF19LCJzY2FsYXIiOnsiZHR5cGUiOiJGMzIiLCJzaGFw
        ZSI6W10sImRhdGFfb2Zmc2V0cyI6WzkyNCw5MjhdfSwic3JjIjp7ImR0eXBlIjoiRjMyIiwic2hhcGUiOls0LDE2XSwiZGF0YV9vZmZzZXRzIjpbOTI4
        LDExODRdfSwic3JjX2JmMTZfZjMyIjp7ImR0eXBlIjoiRjMyIiwic2hhcGUiOls0LDE2XSwiZGF0YV9vZmZzZXRzIjpbMTE4NCwxNDQwXX0sInNyY19m
        MTZfZjMyIjp7ImR0eXBlIjoiRjMyIiwic2hhcGUiOls0LDE2XSwiZGF0YV9vZmZzZXRzIjpbMTQ0MCwxNjk2XX0sImludHNfaTMyIjp7ImR0eXBlIjoi
        STMyIiwic2hhcGUiOls1XSwiZGF0YV9vZmZzZXRzIjpbMTY5NiwxNzE2XX0sInNyY19iZjE2Ijp7ImR0eXBlIjoiQkYxNiIsInNoYXBlIjpbNCwxNl0s
        ImRhdGFfb2Zmc2V0cyI6WzE3MTYsMTg0NF19LCJlbXB0eSI6eyJkdHlwZSI6IkYxNiIsInNoYXBlIjpbMiwwLDNdLCJkYXRhX29mZnNldHMiOlsxODQ0
        LDE4NDRdfSwic3JjX2YxNiI6eyJkdHlwZSI6IkYxNiIsInNoYXBlIjpbNCwxNl0sImRhdGFfb2Zmc2V0cyI6WzE4NDQsMTk3Ml19LCJpbnRzX2kxNiI6
        eyJkdHlwZSI6IkkxNiIsInNoYXBlIjpbMl0sImRhdGFfb2Zmc2V0cyI6WzE5NzIsMTk3Nl19LCJpbnRzX2k4Ijp7ImR0eXBlIjoiSTgiLCJzaGFwZSI6
        WzNdLCJkYXRhX29mZnNldHMiOlsxOTc2LDE5NzldfSwiaW50c191OCI6eyJkdHlwZSI6IlU4Iiwic2hhcGUiOlszXSwiZGF0YV9vZmZzZXRzIjpbMTk3
        OSwxOTgyXX0sIm1hc2siOnsiZHR5cGUiOiJCT09MIiwic2hhcGUiOlszXSwiZGF0YV9vZmZzZXRzIjpbMTk4MiwxOTg1XX19ICAgIAAAAAAAAACA////
        //////8AAAAAAAAAAAEAAAAAAAAA/////////38UGpm+HAAAAID//////////wAAAAAAAABG68CDFOiIQEhodvlAdWpAIpfbzEbyYECraJMoS/JAwF23
        AwSBx3xAKxHdtcV1kUBrXvA9txB3QKQTFF54ZmfAL7ihzjGjkcCAN/hvMHFXwE9Rlaa/Mo9A5Sl6hMmnVMDXfkm6BdFmQJNtCwI7t41A8i6UqqWMm8Bj
        5uN02pWPQEy7kRnoa4dAUOIWFHGEgcD1XwfQy49SQLCUfjmVJp9AS8eXbtgdfEBYzRPhlESYQHbXLpIz/kpAcWmvGcQJl0AAAAAQAADwPwAAADAAAPA/
        pVzD8SljPUhhVSwkzkRiNgAAAPD//+9HAAAAAAAA8D8AAAAAAAAEwAAAAAAA/O9AAAAAAOD970AAAAAAAP7vQAAAAAAAAGA+AAAAAAAAaD4AAAAAABDw
        PwAAAAAAMPA/AAAAwDP570cAAAAAAADwfwAAAAAAAPD/AAAAAAAAAIAAAAAAIGyhNwAAAAAAAKA3AAAAoJmZuT8AAAAAXJeRwAAAAOBwAZLAAAAAwINS
        b8AAAACgDx57wAAAAOCuhYpAAAAAwBKghUAAAABANMBzwAAAAEBwhqDAAAAA4IpBfUAAAABgzLZjwAAAAACkjpZAAAAAYMqgcEAAAAAgks5kQAAAAAAO
        U4tAAAAAwCnvYcAAAABA/+ZbwAAAAOCcHo1AAAAAgAmsk0AAAAAg7FOfQAAAAOBS3kpAAAAAAHRQg0AAAADg1cx5wAAAAMCESIrAAAAAgBUYosAAAABA
        AfmMvgAAAKBw6qi+AAAAYL3hoj4AAABgXWyRPgAAACBBWYe+AAAAwGLGpr4AAAAgmXuvPgAAACBcZ6A+AAAAwM0Zo74AAACAft6uPgAAAEDrorI+AAAA
        gPejtT4AAACAtcy4vgAAACAXicU+AAAA4CLAn74AAADgt4SWPgAAAODmVbu+AAAAIENyor4AAADAvhmgvgAAAEA7xKC+AAAAQKXmsb4AAAAAobSyPgAA
        AABv4YK+AAAA4F4Jqz6kQEdECKpTQzaSB0NZkgfCCDzmQy6ui0S6hbhDwzM7w44ZjcSDibvC/ZV5REw+pcIuiDZD2LltRC1l3MTUrnxEQV87RIkjDMRf
        fpRCqjT5RMPu4EOnJMJEnfFXQiFOuEQAAIA/AgCAPwAAgH8AAAAAAACAfwAA8EAAAIA/AAAgwADgf0cA739HAPB/RwAAADMAAEAzAICAPwCAgT+eyX9/
        AACAfwAAgP8AAACAwhYBAAAAAQDNzMw94LqMxIcLkMQelHrDffDYw3ctVESWAC1EogGew4IzBMVXDOpDY7YdwyB1tERTBoVDkXQmQ3CYWkROeQ/D+jff
        wuf0aERMYJ1EYZ/6RJfyVkKggxpEr2bOwyZEUsSswBDFCshntIVTR7XrDRc162KLNAnKOrQWMza1ydx7NeE6AzVuzhi19PN2NVoXlTW8H601rGXGtblI
        LDYXAf60vyW0NDev2rUZkhO19s0AtdohBrUqNY+1CKWVNXgLF7T3Slg1AACAPwAAIMAAAIBHAACARwAAgEcAAAAzAABAMwAAgD8AAII/AACAfwAAgH8A
        AID/AAAAgAAAAQAAAAEAAADNPQAAjcQAAJDEAAB7wwAA2cMAAFREAAAtRAAAnsMAAATFAADqQwAAHsMAALREAACFQwAAJkMAAFtEAAAPwwAA38IAAGlE
        AACdRAAA+0QAAFdCAAAbRAAAzsMAAFLEAAARxQAAaLQAAEe1AAAXNQAAizQAADu0AAA2tQAAfDUAAAM1AAAZtQAAdzUAAJU1AACtNQAAxrUAACw2AAD+
        tAAAtDQAANu1AAAUtQAAAbUAAAa1AACPtQAAljUAABe0AABYNQAAgD8AACDAAOB/RwDgf0cAAIB/AAAAAAAAgDMAgIA/AICBPwAAgH8AAIB/AACA/wAA
        AIAAAAAAAAAAAADAzD0AwIzEAACQxACgesMAANnDACBURAAALUQAAJ7DAEAExQAA6kMAwB3DAIC0RAAAhUMAgCZDAKBaRACAD8MAQN/CAABpRABgnUQA
        oPpEAABXQgCAGkQAYM7DAEBSxADAEMUAAIC0AABAtQAAEDUAAIA0AABAtAAAMLUAAIA1AAAANQAAILUAAHA1AACYNQAAsDUAAMi1AAAsNgAAALUAAMA0
        AADYtQAAELUAAAC1AAAAtQAAkLUAAJg1AAAAtAAAYDUAAACA/////wAAAAABAAAA////f4A/IMCAR4BHgEcAM0AzgD+CP4B/gH+A/wCAAQABAM09jcSQ
        xHvD2cNURC1EnsMExepDHsO0RIVDJkNbRA/D38JpRJ1E+0RXQhtEzsNSxBHFaLRHtRc1izQ7tDa1fDUDNRm1dzWVNa01xrUsNv60tDTbtRS1AbUGtY+1
        ljUXtFg1ADwAwf97/3sAfAAAAQAEPAw8AHwAfAD8AIAAAAAAZi5m5IDk1dvI3qFiaGHw3CLoUF/u2KRlKFw0WdVifNj61khj62TVZ7hS1GBz3pLihugE
        gAyACQAEAAOAC4AQAAgACoAPABMAFgAZgCsACIAGABuACYAIgAiAEoATAAKADgAAgP9/gH8AAP8HAQAB
        """;

    private static readonly byte[] TorchFile = Convert.FromBase64String(string.Concat(TorchFileBase64.Split((char[])['\n', '\r', ' '], StringSplitOptions.RemoveEmptyEntries)));

    [Fact]
    public void TorchWrittenFile_ReadsWithExpectedLayoutAndValues()
    {
        SafeTensorsDocument doc = SafeTensorsFile.Read(TorchFile, "torch_interop.safetensors");
        Assert.Equal(16, doc.Count);
        Assert.Equal("pt", doc.Metadata["format"]);
        Assert.Equal([4L, 16], doc["src"].Shape);
        Assert.Equal([1f, -2.5f, 65504f], doc["src"].ToFloat32()[..3]);
        Assert.Empty(doc["scalar"].Shape);
        Assert.Equal([7.5f], doc["scalar"].ToFloat32());
        Assert.Equal([2L, 0, 3], doc["empty"].Shape);
        Assert.Equal(SafeTensorDType.F16, doc["empty"].DType);
        Assert.Equal([long.MinValue, -1, 0, 1, long.MaxValue, 123456789012, -128, 255], doc["ints"].ToInt64());
        Assert.Equal([int.MinValue, -1L, 0, 1, int.MaxValue], doc["ints_i32"].ToInt64());
        Assert.Equal([short.MinValue, (long)short.MaxValue], doc["ints_i16"].ToInt64());
        Assert.Equal([-128L, 127, 0], doc["ints_i8"].ToInt64());
        Assert.Equal([0L, 255, 7], doc["ints_u8"].ToInt64());
        Assert.Equal([1L, 0, 1], doc["mask"].ToInt64());
    }

    [Theory]
    [InlineData("src_f16", SafeTensorDType.F16)]
    [InlineData("src_bf16", SafeTensorDType.BF16)]
    [InlineData("src_f64", SafeTensorDType.F64)]
    public void FromFloat32_MatchesPyTorchConversionBitForBit(string torchName, SafeTensorDType dtype)
    {
        SafeTensorsDocument doc = SafeTensorsFile.Read(TorchFile);
        float[] src = doc["src"].ToFloat32();
        SafeTensorEntry ours = SafeTensorEntry.FromFloat32(torchName, src, [4, 16], dtype);
        Assert.Equal(doc[torchName].Data.ToArray(), ours.Data.ToArray());
    }

    [Theory]
    [InlineData("src_f16", "src_f16_f32")]
    [InlineData("src_bf16", "src_bf16_f32")]
    [InlineData("d", "d_f32")]
    public void ToFloat32_MatchesPyTorchFloatBitForBit(string source, string torchFloat)
    {
        SafeTensorsDocument doc = SafeTensorsFile.Read(TorchFile);
        float[] ours = doc[source].ToFloat32(), theirs = doc[torchFloat].ToFloat32();
        Assert.Equal(theirs.Length, ours.Length);
        for (int i = 0; i < ours.Length; i++) Assert.Equal(BitConverter.SingleToUInt32Bits(theirs[i]), BitConverter.SingleToUInt32Bits(ours[i]));
    }

    [Fact]
    public void TorchWrittenFile_RewritesToEquivalentFile()
    {
        SafeTensorsDocument doc = SafeTensorsFile.Read(TorchFile);
        SafeTensorsDocument again = SafeTensorsFile.Read(SafeTensorsFile.Serialize(doc.Entries, doc.Metadata));
        Assert.Equal(doc.Entries.Select(e => e.Name), again.Entries.Select(e => e.Name));
        foreach (SafeTensorEntry e in doc.Entries)
        {
            Assert.Equal(e.DType, again[e.Name].DType);
            Assert.Equal(e.Shape, again[e.Name].Shape);
            Assert.Equal(e.Data.ToArray(), again[e.Name].Data.ToArray());
        }
        Assert.Equal(doc.Metadata, again.Metadata);
    }
}
