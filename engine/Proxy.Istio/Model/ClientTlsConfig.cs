using Proxy.Istio.Loading;

namespace Proxy.Istio.Model;

/// <summary>DestinationRule <c>ClientTLSSettings.TLSmode</c>; the protobuf zero value, so the default, is DISABLE.</summary>
internal enum ClientTlsMode
{
    Disable,
    Simple,
    Mutual,
    IstioMutual,
}

/// <summary>
/// A DestinationRule's validated <c>tls</c> block (destination_rule.proto ClientTLSSettings): TLS origination to the
/// host's endpoints. File paths are absolute. <see cref="Location"/> and <see cref="Path"/> locate errors found when
/// the files are loaded, since one rule's policy may end up on clusters built for another object's route.
/// </summary>
internal sealed record ClientTlsConfig(
    SourceLocation Location,
    string Path,
    ClientTlsMode Mode,
    string? ClientCertificate,
    string? PrivateKey,
    string? CaCertificates,
    string? CredentialName,
    IReadOnlyList<string> SubjectAltNames,
    string? Sni,
    bool InsecureSkipVerify);
