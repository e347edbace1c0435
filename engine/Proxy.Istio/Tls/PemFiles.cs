namespace Proxy.Istio.Tls;

/// <summary>
/// The absolute paths of one credential's PEM files: a certificate chain (leaf first) with its private key, both or
/// neither, and a bundle of certificate authorities that verify the peer. Equal sets share one credential source.
/// </summary>
internal sealed record PemFiles(string? CertificateChain, string? PrivateKey, string? CertificateAuthorities)
{
    public IEnumerable<string> Paths =>
        new[] { CertificateChain, PrivateKey, CertificateAuthorities }.OfType<string>();
}

/// <summary>Which file of a <see cref="PemFiles"/> set a load error is about.</summary>
internal enum PemFileRole
{
    CertificateChain,
    PrivateKey,
    CertificateAuthorities,
}

/// <summary>Why a credential could not be loaded, naming the file.</summary>
internal sealed record PemLoadError(PemFileRole Role, string File, string Reason)
{
    public override string ToString() => $"cannot load \"{File}\": {Reason}";
}
