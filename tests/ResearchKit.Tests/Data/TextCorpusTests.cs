using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using ResearchKit.Data;
using Xunit;
using static ResearchKit.Tests.Data.DataTestSupport;

namespace ResearchKit.Tests.Data;

public class TextCorpusTests
{
    private static byte[] U(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>Straightforward transcription of PyTorch word_language_model data.py (train builds the vocabulary).</summary>
    private static (List<string> Vocab, List<int> Ids) Reference(string text, List<string>? vocab = null)
    {
        vocab ??= [];
        var index = new Dictionary<string, int>();
        for (int i = 0; i < vocab.Count; i++) index[vocab[i]] = i;
        var ids = new List<int>();
        var lines = text.Replace("\r\n", "\n").Replace('\r', '\n').Split('\n').ToList();
        if (lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        foreach (var line in lines)
            foreach (var w in line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Append("<eos>"))
            {
                if (!index.TryGetValue(w, out int id)) { vocab.Add(w); id = index[w] = vocab.Count - 1; }
                ids.Add(id);
            }
        return (vocab, ids);
    }

    [Fact]
    public void Tokenize_MatchesDataPy_IdsInOrderOfFirstAppearance()
    {
        var c = TextCorpusReader.Read("toy", U(" the cat \n\n the  dog\tsat \n"), U("the cat\n"), U("dog\n"));
        Assert.Equal(new[] { "the", "cat", "<eos>", "dog", "sat" }, c.Vocab.Words);
        Assert.Equal(new[] { 0, 1, 2, 2, 0, 3, 4, 2 }, c.Train);
        Assert.Equal(new[] { 0, 1, 2 }, c.Valid);
        Assert.Equal(new[] { 3, 2 }, c.Test);
        Assert.Equal(2, c.Vocab.Eos);
        Assert.Equal(-1, c.Vocab.Unk);
        Assert.Equal("the cat <eos>", c.Vocab.Decode(c.Valid));
    }

    [Fact]
    public void UnseenValidTestWords_MapToTrainUnk()
    {
        var c = TextCorpusReader.Read("toy", U("a <unk> b\n"), U("a zebra\n"), U("yak b\n"));
        Assert.Equal(1, c.Vocab.Unk);
        Assert.Equal(new[] { 0, 1, 3 }, c.Valid);
        Assert.Equal(new[] { 1, 2, 3 }, c.Test);
        Assert.Equal(4, c.Vocab.Count); // valid/test never grow the vocabulary
        Assert.Equal(1, c.Vocab["zebra"]);
        Assert.Equal(0, c.Vocab["a"]);
        Assert.Equal("b", c.Vocab[2]);
    }

    [Fact]
    public void UnseenWordsWithoutTrainUnk_AppendUnkOnce()
    {
        var c = TextCorpusReader.Read("toy", U("a b\n"), U("c d\n"), U("e\n"));
        Assert.Equal(new[] { "a", "b", "<eos>", "<unk>" }, c.Vocab.Words);
        Assert.Equal(new[] { 3, 3, 2 }, c.Valid);
        Assert.Equal(new[] { 3, 2 }, c.Test);
        var v = new Vocabulary(["x"]);
        Assert.Throws<KeyNotFoundException>(() => v["y"]);
        Assert.Throws<ArgumentOutOfRangeException>(() => v[1]);
        Assert.Throws<ArgumentException>(() => new Vocabulary(["x", "x"]));
    }

    [Fact]
    public void LineEndingsAndWhitespace_FollowPython()
    {
        // \r\n, lone \r and a missing final newline are line ends; \x1f and no-break space separate words like str.split().
        var c = TextCorpusReader.Read("toy", U("a b\r\nc\rd\u001fe\u00a0f"), [], []);
        Assert.Equal("a b <eos> c <eos> d e f <eos>", c.Vocab.Decode(c.Train));
        Assert.Empty(c.Valid);
    }

    [Fact]
    public void InvalidUtf8_IsRejected()
    {
        var e = Assert.Throws<InvalidDataException>(() => TextCorpusReader.Read("toy", [0x61, 0xff, 0x0a], [], []));
        Assert.Contains("toy train split is not valid UTF-8", e.Message);
    }

    [Fact]
    public void OutOfVocabularyIds_AreRejectedByTextCorpus()
    {
        Assert.Throws<ArgumentException>(() => new TextCorpus("x", new Vocabulary(["a"]), [0, 1], [], []));
    }

    [Fact]
    public void WikiText2Sample_MatchesTheReferenceTokenizer()
    {
        var c = Samples.WikiText2();
        var train = Encoding.UTF8.GetString(Samples.Read("wikitext-2-train-2000", out _));
        var (vocab, ids) = Reference(train);
        Assert.Equal(vocab, c.Vocab.Words);
        Assert.Equal(ids, c.Train);
        // WikiText's first line is blank, so <eos> is id 0; the next line is the first title.
        Assert.Equal(0, c.Vocab.Eos);
        Assert.Equal("<eos> = Valkyria Chronicles III = <eos>", c.Vocab.Decode(c.Train.AsSpan(0, 7)));
        Assert.True(c.Vocab.Unk >= 0, "WikiText-2 train already contains <unk>");
        // Valid/test: known words keep their train id, others become <unk>.
        var valid = Encoding.UTF8.GetString(Samples.Read("wikitext-2-valid-300", out _));
        var validWords = valid.Split('\n')[..^1].SelectMany(l => l.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Append("<eos>")).ToArray();
        Assert.Equal(validWords.Length, c.Valid.Length);
        var trainIndex = vocab.Select((w, i) => (w, i)).ToDictionary(p => p.w, p => p.i);
        int unk = 0;
        for (int i = 0; i < validWords.Length; i++)
        {
            int want = c.Vocab.Contains(validWords[i]) ? trainIndex[validWords[i]] : c.Vocab.Unk;
            Assert.Equal(want, c.Valid[i]);
            if (!c.Vocab.Contains(validWords[i])) unk++;
        }
        Assert.True(unk > 0, "an excerpt's valid split has words unseen in the train excerpt");
        Assert.Equal(vocab.Count, c.Vocab.Count);
        Assert.Equal(300, c.Test.Count(t => t == c.Vocab.Eos));
    }

    private static readonly (string Split, string Text)[] Toy =
        [("train", " a b <unk> \n \n c a \n"), ("valid", " a z \n"), ("test", " c \n")];

    // The manifest's entries for this dataset, with sizes/sha256 of the generated files and the archive's real md5.
    private static Manifest ToyManifest(string id, Func<string, string> fileName, byte[] archive)
    {
        var m = DefaultManifestJson();
        foreach (var (split, text) in Toy)
        {
            var f = FileNode(m, id, fileName(split));
            f["size"] = Encoding.UTF8.GetByteCount(text);
            f["sha256"] = Sha256(Encoding.UTF8.GetBytes(text));
        }
        var a = DatasetNode(m, id)["archives"]![0]!.AsObject();
        a["md5"] = Md5(archive);
        a["size"] = archive.Length;
        return Manifest.Parse(m.ToJsonString());
    }

    [Fact]
    public void WikiText2Loader_ExtractsTheZipArchive()
    {
        var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (split, text) in Toy)
            {
                using var w = zip.CreateEntry($"wikitext-2/wiki.{split}.tokens").Open();
                w.Write(Encoding.UTF8.GetBytes(text));
            }
        var archive = ms.ToArray();
        using var t = new DataTempDir();
        t.Write("data/wikitext-2-v1.zip", archive);
        var opts = Isolated(t.Sub("cache"), ToyManifest("wikitext-2", s => $"wiki.{s}.tokens", archive));
        opts.DataDir = t.Sub("data");
        var c = Datasets.WikiText2(opts);
        Assert.Equal("WikiText-2", c.Name);
        Assert.Equal(new[] { "a", "b", "<unk>", "<eos>", "c" }, c.Vocab.Words);
        Assert.Equal(new[] { 0, 1, 2, 3, 3, 4, 0, 3 }, c.Train);
        Assert.Equal(new[] { 0, 2, 3 }, c.Valid);
        Assert.True(File.Exists(t.Sub("cache", "wikitext-2", "wiki.valid.tokens.verified")));
    }

    [Fact]
    public void PennTreebankLoader_DownloadsAndExtractsTheTgz()
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gz, TarEntryFormat.Gnu, leaveOpen: true))
            foreach (var (split, text) in Toy) // members start with "./" as in the real simple-examples.tgz
                tar.WriteEntry(new GnuTarEntry(TarEntryType.RegularFile, $"./simple-examples/data/ptb.{split}.txt")
                    { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)) });
        var archive = ms.ToArray();
        using var t = new DataTempDir();
        var http = new FakeHttpHandler().Serve("http://www.fit.vutbr.cz/~imikolov/rnnlm/simple-examples.tgz", archive);
        var opts = Isolated(t.Sub("cache"), ToyManifest("ptb", s => $"ptb.{s}.txt", archive));
        opts.AllowDownload = true;
        opts.HttpHandler = http;
        var c = Datasets.PennTreebank(opts);
        Assert.Equal("Penn Treebank", c.Name);
        Assert.Equal(new[] { 4, 3 }, c.Test);
        Assert.Single(http.Requests); // one archive download served all three files
        Assert.Equal(new[] { "ptb.test.txt", "ptb.train.txt", "ptb.valid.txt" },
            Directory.GetFiles(t.Sub("cache", "ptb"), "*.txt").Select(Path.GetFileName).Order());
    }

    [Fact]
    public void Reduced_KeepsTheMostFrequentTrainWords_AndMapsTheRestToUnk()
    {
        var vocab = new Vocabulary(["the", "<unk>", "cat", "sat", "<eos>", "mat", "dog"]);
        // train: the ×3, cat ×2, <eos> ×2, sat ×1, mat ×1; "dog" only in test.
        var corpus = new TextCorpus("toy", vocab, [0, 2, 3, 4, 0, 2, 5, 0, 4], [0, 5, 6], [6, 2, 1]);
        var r = corpus.Reduced(4);   // <unk> + the, cat, <eos>
        Assert.Equal(["<unk>", "the", "cat", "<eos>"], r.Vocab.Words);
        string Words(int[] ids) => string.Join(" ", ids.Select(i => r.Vocab[i]));
        Assert.Equal("the cat <unk> <eos> the cat <unk> the <eos>", Words(r.Train));
        Assert.Equal("the <unk> <unk>", Words(r.Valid));
        Assert.Equal("<unk> cat <unk>", Words(r.Test));
        var cut = corpus.Reduced(3, trainTokens: 4);   // counts over "the cat sat <eos>": all once, first appearance wins ties
        Assert.Equal(["<unk>", "the", "cat"], cut.Vocab.Words);
        Assert.Equal(4, cut.Train.Length);
        Assert.Equal(corpus.Test.Length, cut.Test.Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => corpus.Reduced(1));
    }
}
