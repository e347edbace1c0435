namespace Proxy.Istio;

/// <summary>The text of one Istio YAML file.</summary>
/// <param name="Path">The path as the user named it; used verbatim in error messages.</param>
/// <param name="Text">The file's content: one or more YAML documents separated by <c>---</c>.</param>
public sealed record IstioSource(string Path, string Text)
{
    /// <summary>
    /// The directory that relative certificate paths in this source (Gateway <c>tls.serverCertificate</c>,
    /// DestinationRule <c>tls.caCertificates</c>, ...) resolve against. <see cref="IstioSources.Read"/> sets it to the
    /// file's directory; null (text without a file) means the current directory.
    /// </summary>
    public string? BaseDirectory { get; init; }
}
