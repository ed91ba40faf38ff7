using System.Text.Json.Nodes;
using ResearchKit.Notebooks.Format;
using Xunit;

namespace ResearchKit.Notebooks.Tests.Format;

public class NotebookFormatTests
{
    [Fact]
    public void Polyglot_notebook_round_trips_byte_for_byte()
    {
        string original = PolyglotSample.Json.Replace("\r\n", "\n");
        var nb = Notebook.Parse(original);
        Assert.Equal(original, nb.ToJson());
    }

    [Fact]
    public void Parsed_model_exposes_ids_tags_kernel_and_outputs()
    {
        var nb = Notebook.Parse(PolyglotSample.Json);
        Assert.Equal(["a1b2c3d4", "params-cell_01", "raw-1"], nb.Cells.Select(c => c.Id));
        Assert.Equal([CellType.Markdown, CellType.Code, CellType.Raw], nb.Cells.Select(c => c.Type));
        var code = nb.Cells[1];
        Assert.Equal(["parameters", "keep-me"], code.Tags);
        Assert.Equal("csharp", code.KernelName);
        Assert.Equal("#!csharp\nvar preset = \"smoke\";\nConsole.WriteLine(\"tab\\there\");", code.Source);
        Assert.Equal(["stream", "display_data", "execute_result", "error"], code.Outputs.Select(o => o.OutputType));
        Assert.Equal("loss 0.5\nloss 0.25\n", ((StreamOutput)code.Outputs[0]).Text);
        var display = (DisplayDataOutput)code.Outputs[1];
        Assert.IsType<JsonObject>(display.Data.GetJson("application/vnd.plotly.v1+json"));
        Assert.Equal("<div>fig</div>", display.Data.GetText("text/html"));
        Assert.Equal(1, ((ExecuteResultOutput)code.Outputs[2]).ExecutionCount);
        var error = (ErrorOutput)code.Outputs[3];
        Assert.Equal(("System.Exception", "bad \"quote\""), (error.EName, error.EValue));
        Assert.Equal("\u001b[31mSystem.Exception\u001b[0m: bad", error.Traceback[0]);
        Assert.Equal("kept", (string?)nb.Metadata["x-unknown-notebook-key"]);
        Assert.Equal("kept", (string?)nb.Extra["x-top-level"]!["also"]);
        Assert.True(nb.Cells[0].Extra.ContainsKey("attachments"));
        Assert.Equal("", nb.Cells[2].Source);
    }

    [Fact]
    public void Source_as_a_single_string_reads_the_same_and_is_written_as_lines()
    {
        var root = JsonNode.Parse(PolyglotSample.Json)!;
        root["cells"]![1]!["source"] = "#!csharp\nvar preset = \"smoke\";\nConsole.WriteLine(\"tab\\there\");";
        root["cells"]![1]!["outputs"]![0]!["text"] = "loss 0.5\nloss 0.25\n";
        var nb = Notebook.Parse(root.ToJsonString());
        Assert.Equal(PolyglotSample.Json.Replace("\r\n", "\n"), nb.ToJson());
    }

    [Fact]
    public void Writer_uses_jupyter_layout()
    {
        var nb = new NotebookBuilder().CodeWithId("var s = \"é\u0001\";\n", "c1").Build();
        string json = nb.ToJson();
        Assert.EndsWith("}\n", json);
        Assert.Contains("\n \"cells\": [\n  {\n   \"cell_type\": \"code\",", json);
        Assert.Contains("\"var s = \\\"é\\u0001\\\";\\n\"", json);
        Assert.Contains("\"execution_count\": null", json);
        Assert.Contains("\"outputs\": []", json);
        Assert.Contains("\"nbformat_minor\": 5", json);
    }

    [Fact]
    public void Older_minor_versions_get_ids_and_are_written_as_4_5()
    {
        var nb = Notebook.Parse("""{"cells":[{"cell_type":"markdown","metadata":{},"source":"hi"},{"cell_type":"code","metadata":{},"source":"1","outputs":[],"execution_count":null}],"metadata":{},"nbformat":4,"nbformat_minor":2}""");
        Assert.Equal(5, nb.NbFormatMinor);
        Assert.All(nb.Cells, c => Assert.True(CellId.IsValid(c.Id)));
        Assert.NotEqual(nb.Cells[0].Id, nb.Cells[1].Id);
    }

    [Theory]
    [InlineData("""{"cells":[],"metadata":{},"nbformat":3,"nbformat_minor":0}""", "nbformat 3")]
    [InlineData("""[1]""", "JSON object")]
    [InlineData("""{"cells":[{"cell_type":"code","id":"a b","metadata":{},"source":""}],"metadata":{},"nbformat":4,"nbformat_minor":5}""", "'a b' is not a valid")]
    [InlineData("""{"cells":[{"cell_type":"code","id":"x","source":""},{"cell_type":"code","id":"x","source":""}],"metadata":{},"nbformat":4,"nbformat_minor":5}""", "repeats the id 'x'")]
    [InlineData("""{"cells":[{"cell_type":"heading","id":"x","source":""}],"metadata":{},"nbformat":4,"nbformat_minor":5}""", "cell_type must be")]
    [InlineData("""{"cells":[{"cell_type":"code","id":"x","source":3}],"metadata":{},"nbformat":4,"nbformat_minor":5}""", "cells[0].source")]
    [InlineData("""{"cells":[{"cell_type":"code","id":"x","source":"","outputs":[{"name":"stdout"}]}],"metadata":{},"nbformat":4,"nbformat_minor":5}""", "output_type")]
    [InlineData("""{"cells": """, "not valid JSON")]
    public void Malformed_notebooks_fail_with_a_clear_message(string json, string expected)
    {
        var e = Assert.Throws<FormatException>(() => Notebook.Parse(json));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Unknown_output_types_are_kept()
    {
        var nb = Notebook.Parse("""{"cells":[{"cell_type":"code","id":"x","metadata":{},"source":"","execution_count":null,"outputs":[{"output_type":"future_kind","payload":{"a":1}}]}],"metadata":{},"nbformat":4,"nbformat_minor":5}""");
        var o = Assert.IsType<UnknownOutput>(nb.Cells[0].Outputs.Single());
        Assert.Equal("future_kind", o.OutputType);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"output_type":"future_kind","payload":{"a":1}}"""), o.ToJson()));
    }

    [Theory]
    [InlineData("", new string[0])]
    [InlineData("a", new[] { "a" })]
    [InlineData("a\nb", new[] { "a\n", "b" })]
    [InlineData("a\n\nb\n", new[] { "a\n", "\n", "b\n" })]
    public void Multiline_strings_split_keeping_line_ends(string text, string[] lines)
    {
        Assert.Equal(lines, MultilineString.SplitLines(text));
        Assert.Equal(text, MultilineString.Read(MultilineString.Write(text), "t"));
    }

    [Theory]
    [InlineData("a", true)]
    [InlineData("A-b_9", true)]
    [InlineData("", false)]
    [InlineData("a b", false)]
    [InlineData("é", false)]
    [InlineData("a.b", false)]
    public void Cell_id_validation(string id, bool valid) => Assert.Equal(valid, CellId.IsValid(id));

    [Fact]
    public void Cell_id_length_limit_is_64_and_new_ids_are_valid_and_fresh()
    {
        Assert.True(CellId.IsValid(new string('a', 64)));
        Assert.False(CellId.IsValid(new string('a', 65)));
        var taken = new HashSet<string>();
        for (int i = 0; i < 200; i++) Assert.True(taken.Add(CellId.New(taken)));
        Assert.All(taken, id => Assert.True(CellId.IsValid(id)));
    }

    [Fact]
    public void Builder_writes_polyglot_metadata_and_rejects_duplicate_ids()
    {
        var nb = new NotebookBuilder().Markdown("# t").Code("1", "parameters").Build();
        Assert.Equal(".net-csharp", (string?)nb.Metadata["kernelspec"]!["name"]);
        Assert.Equal(".NET (C#)", (string?)nb.Metadata["kernelspec"]!["display_name"]);
        Assert.Equal("C#", (string?)nb.Metadata["kernelspec"]!["language"]);
        Assert.Equal("csharp", (string?)nb.Metadata["polyglot_notebook"]!["kernelInfo"]!["defaultKernelName"]);
        Assert.Equal("C#", (string?)nb.Metadata["polyglot_notebook"]!["kernelInfo"]!["items"]![0]!["languageName"]);
        Assert.Equal("csharp", nb.Cells[1].KernelName);
        Assert.Equal(["parameters"], nb.Cells[1].Tags);
        var b = new NotebookBuilder().CodeWithId("1", "same");
        Assert.Contains("'same' is already used", Assert.Throws<ArgumentException>(() => b.CodeWithId("2", "same")).Message);
        Assert.Throws<ArgumentException>(() => new NotebookCell(CellType.Code, "", "bad id"));
    }

    [Fact]
    public void Mime_bundle_keeps_json_types_as_json_and_rejects_invalid_json()
    {
        var b = new MimeBundle();
        b.Set("application/vnd.plotly.v1+json", """{"data":[]}""");
        b.Set("text/html", "<p>\n</p>");
        var json = b.ToJson();
        Assert.IsType<JsonObject>(json["application/vnd.plotly.v1+json"]);
        Assert.Equal(2, json["text/html"]!.AsArray().Count);
        Assert.Throws<FormatException>(() => b.Set("application/json", "{oops"));
        Assert.True(MimeBundle.IsJsonMime("application/vnd.vega.v5+json"));
        Assert.False(MimeBundle.IsJsonMime("text/plain"));
    }

    [Fact]
    public void Save_and_load_round_trip_through_a_file()
    {
        string path = Path.Combine(Path.GetTempPath(), "rk-fmt-" + Guid.NewGuid().ToString("N")[..8], "x.ipynb");
        try
        {
            var nb = Notebook.Parse(PolyglotSample.Json);
            nb.Save(path);
            Assert.Equal(nb.ToJson(), Notebook.Load(path).ToJson());
            Assert.Equal(nb.ToJson(), File.ReadAllText(path));
            Assert.Contains("no notebook at", Assert.Throws<FileNotFoundException>(() => Notebook.Load(path + ".missing")).Message);
        }
        finally { Directory.Delete(Path.GetDirectoryName(path)!, true); }
    }
}
