using Xunit;

namespace Murder.Core.Tests;

public class DeployTagTests
{
    [Theory]
    [InlineData("Deploy20100101")]
    [InlineData("web-1.4.2_rc1")]
    [InlineData("a")]
    [InlineData("..a")]
    public void Valid_tags_pass(string tag)
    {
        Assert.Null(DeployTag.Check(tag));
        Assert.Equal(tag, DeployTag.Validate(tag));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData(".", "outside")]
    [InlineData("..", "outside")]
    [InlineData("a/b", "separator")]
    [InlineData("a\\b", "separator")]
    [InlineData("a b", "' '")]
    [InlineData("a;rm -rf /", "';'")]
    [InlineData("$(id)", "'$'")]
    [InlineData("-rf", "option")]
    [InlineData("CON", "reserved")]
    [InlineData("tag.", "ends with")]
    [InlineData("a\nb", "\\u000A")]
    [InlineData("tést", "'é'")]
    public void Invalid_tags_say_why(string tag, string reason)
    {
        string? problem = DeployTag.Check(tag);
        Assert.NotNull(problem);
        Assert.Contains(reason, problem, System.StringComparison.Ordinal);
        var error = Assert.Throws<MurderException>(() => DeployTag.Validate(tag));
        Assert.Equal("InvalidTag", error.ErrorId);
    }

    [Fact]
    public void Overlong_tag_is_rejected()
    {
        Assert.Contains("limit", DeployTag.Check(new string('a', DeployTag.MaxLength + 1)), System.StringComparison.Ordinal);
        Assert.Null(DeployTag.Check(new string('a', DeployTag.MaxLength)));
    }
}
