namespace Proxy.Istio.Tests;

public sealed class IstioSourcesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("istio-sources-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Read_Directory_YamlAndYmlSortedByNameNotRecursive()
    {
        File.WriteAllText(Path.Combine(_dir, "b.yml"), "b");
        File.WriteAllText(Path.Combine(_dir, "a.yaml"), "a");
        File.WriteAllText(Path.Combine(_dir, "c.txt"), "c");
        Directory.CreateDirectory(Path.Combine(_dir, "sub"));
        File.WriteAllText(Path.Combine(_dir, "sub", "d.yaml"), "d");

        var set = IstioSources.Read([_dir]);

        Assert.Empty(set.Errors);
        Assert.Equal([Path.Combine(_dir, "a.yaml"), Path.Combine(_dir, "b.yml")], set.Sources.Select(s => s.Path));
        Assert.Equal(["a", "b"], set.Sources.Select(s => s.Text));
    }

    [Fact]
    public void Read_RelativeFilePath_BaseDirectoryIsTheFilesAbsoluteDirectory()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "conf"));
        File.WriteAllText(Path.Combine(_dir, "conf", "gw.yaml"), "x");
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, Path.Combine(_dir, "conf", "gw.yaml"));

        var source = Assert.Single(IstioSources.Read([relative]).Sources);

        Assert.Equal(relative, source.Path);
        Assert.Equal(Path.Combine(_dir, "conf"), source.BaseDirectory);
    }

    [Fact]
    public void Read_MissingPath_ErrorNotException()
    {
        var missing = Path.Combine(_dir, "nope.yaml");
        File.WriteAllText(Path.Combine(_dir, "ok.yaml"), "x");

        var set = IstioSources.Read([missing, Path.Combine(_dir, "ok.yaml")]);

        Assert.Single(set.Sources);
        var error = Assert.Single(set.Errors);
        Assert.Equal($"{missing}: no such file or directory", error.ToString());
    }

    [Fact]
    public void Build_SourceSetWithReadError_ErrorReportedAndNoConfig()
    {
        var set = IstioSources.Read([Path.Combine(_dir, "nope.yaml")]);

        var result = IstioConfigBuilder.Build(set, new IstioBuildOptions());

        Assert.False(result.IsValid);
        Assert.Null(result.Config);
        Assert.Single(result.Errors);
    }

    [Fact]
    public void Build_SameInput_SameVersion_DifferentInput_DifferentVersion()
    {
        var yaml = TestConfig.Gateway;
        var a = TestConfig.BuildValid(yaml).Version;
        var b = TestConfig.BuildValid(yaml).Version;
        var c = TestConfig.BuildValid(yaml + "\n# edited").Version;

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.Equal(12, a.Length);
    }
}
