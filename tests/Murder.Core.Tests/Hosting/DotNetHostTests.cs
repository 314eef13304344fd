using System;
using System.IO;
using Murder.Core.Hosting;
using Xunit;

namespace Murder.Core.Tests.Hosting;

public sealed class DotNetHostTests : IDisposable
{
    private readonly TempDirectory _root = new();

    public void Dispose() => _root.Dispose();

    [Theory]
    [InlineData("8.0.11", true)]
    [InlineData("10.0.0", true)]
    [InlineData("7.0.20", false)]
    [InlineData("6.0.36", false)]
    [InlineData("not-a-version", false)]
    public void IsUsableRoot_NeedsARuntimeOfVersion8OrLater(string version, bool usable)
    {
        _root.WriteFile(OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet", "host");
        Directory.CreateDirectory(_root.Combine("shared", "Microsoft.NETCore.App", version));

        Assert.Equal(usable, DotNetHost.IsUsableRoot(_root.Path));
    }

    [Fact]
    public void IsUsableRoot_NeedsTheHostExecutable()
    {
        Directory.CreateDirectory(_root.Combine("shared", "Microsoft.NETCore.App", "8.0.11"));

        Assert.False(DotNetHost.IsUsableRoot(_root.Path));
    }

    [Fact]
    public void IsUsableRoot_IsFalseForAFolderThatDoesNotExist() =>
        Assert.False(DotNetHost.IsUsableRoot(_root.Combine("none")));

    [Fact]
    public void Find_ReturnsTheHostRunningTheseTests()
    {
        // These tests run on a dotnet host (dotnet test); it must be found and qualify.
        string? host = DotNetHost.Find();

        Assert.NotNull(host);
        Assert.True(DotNetHost.IsUsableRoot(Path.GetDirectoryName(host)!));
    }
}
