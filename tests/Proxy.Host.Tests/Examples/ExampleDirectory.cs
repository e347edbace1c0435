namespace Proxy.Host.Tests.Examples;

/// <summary>
/// A temporary copy of one example's YAML files (examples/NAME/*.yaml), deleted on dispose. Tests point the gateway at
/// the copy, write generated certificates beside it (relative certificate paths resolve against the YAML file), and
/// change only what must differ on a test machine with <see cref="Edit"/>.
/// </summary>
internal sealed class ExampleDirectory : IDisposable
{
    public ExampleDirectory(string example)
    {
        Source = Path.Combine(RepositoryRoot(), "examples", example);
        Directory.CreateDirectory(Root);
        foreach (var file in Directory.EnumerateFiles(Source, "*.yaml"))
        {
            File.Copy(file, PathOf(Path.GetFileName(file)));
        }
    }

    /// <summary>The example in the repository.</summary>
    public string Source { get; }

    /// <summary>The copy.</summary>
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "proxy-example-" + Guid.NewGuid().ToString("N"));

    public string PathOf(string relative) => Path.Combine(Root, relative);

    /// <summary>
    /// Replaces <paramref name="original"/>, which must occur exactly once in the copy of <paramref name="fileName"/>, so
    /// an edit to the example that moves the text fails here instead of silently testing something else.
    /// </summary>
    public void Edit(string fileName, string original, string replacement)
    {
        var path = PathOf(fileName);
        var text = File.ReadAllText(path).ReplaceLineEndings("\n");
        var at = text.IndexOf(original, StringComparison.Ordinal);
        Assert.True(at >= 0 && text.IndexOf(original, at + 1, StringComparison.Ordinal) < 0,
            $"examples/{Path.GetFileName(Source)}/{fileName} must contain exactly once:\n{original}");
        File.WriteAllText(path, string.Concat(text.AsSpan(0, at), replacement, text.AsSpan(at + original.Length)));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Proxy.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("repository root not found");
    }
}
