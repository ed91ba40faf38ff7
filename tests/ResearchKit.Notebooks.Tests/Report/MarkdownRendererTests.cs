using ResearchKit.Notebooks.Report;
using Xunit;

namespace ResearchKit.Notebooks.Tests.Report;

public class MarkdownRendererTests
{
    [Theory]
    [InlineData("# Title", "<h1>Title</h1>\n")]
    [InlineData("### Three ###", "<h3>Three</h3>\n")]
    [InlineData("a **bold** and *em* and _em2_ word", "<p>a <strong>bold</strong> and <em>em</em> and <em>em2</em> word</p>\n")]
    [InlineData("snake_case_name stays", "<p>snake_case_name stays</p>\n")]
    [InlineData("use `x * y * z` here", "<p>use <code>x * y * z</code> here</p>\n")]
    [InlineData("math $a_i * b_i$ stays", "<p>math <span class=\"math\">$a_i * b_i$</span> stays</p>\n")]
    [InlineData("[site](https://x.org/?a=1&b=2)", "<p><a href=\"https://x.org/?a=1&amp;b=2\">site</a></p>\n")]
    [InlineData("![alt](img.png)", "<p><img src=\"img.png\" alt=\"alt\"></p>\n")]
    [InlineData("[x](javascript:alert(1))", "<p><a href=\"#\">x</a>)</p>\n")]
    [InlineData("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n")]
    [InlineData("---", "<hr>\n")]
    [InlineData("> quoted", "<blockquote><p>quoted</p>\n</blockquote>\n")]
    public void Blocks_and_inlines(string md, string html) => Assert.Equal(html, MarkdownRenderer.ToHtml(md));

    [Fact]
    public void Lists_paragraphs_and_code_fences()
    {
        string md = "Intro line\ncontinues.\n\n- one\n- two `c`\n\n1. first\n2. second\n\n```csharp\nvar x = a < b;\n```\n";
        Assert.Equal(
            "<p>Intro line\ncontinues.</p>\n<ul>\n<li>one</li>\n<li>two <code>c</code></li>\n</ul>\n<ol>\n<li>first</li>\n<li>second</li>\n</ol>\n"
            + "<pre><code class=\"language-csharp\">var x = a &lt; b;\n</code></pre>\n",
            MarkdownRenderer.ToHtml(md));
    }

    [Fact]
    public void Pipe_tables_with_alignment()
    {
        string html = MarkdownRenderer.ToHtml("| model | acc |\n|:--|--:|\n| CNN | **99** % |\n");
        Assert.Equal("<table>\n<thead><tr><th style=\"text-align:left\">model</th><th style=\"text-align:right\">acc</th></tr></thead>\n<tbody>\n"
            + "<tr><td style=\"text-align:left\">CNN</td><td style=\"text-align:right\"><strong>99</strong> %</td></tr>\n</tbody>\n</table>\n", html);
    }
}
