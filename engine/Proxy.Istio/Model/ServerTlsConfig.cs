using System.Net.Security;
using System.Security.Authentication;

namespace Proxy.Istio.Model;

/// <summary>Gateway <c>ServerTLSSettings.TLSmode</c>. The protobuf zero value, so the default, is PASSTHROUGH.</summary>
internal enum ServerTlsMode
{
    Passthrough,
    Simple,
    Mutual,
    AutoPassthrough,
    IstioMutual,
    OptionalMutual,
}

/// <summary>
/// A Gateway server's validated <c>tls</c> block (gateway.proto ServerTLSSettings). File paths are absolute (resolved
/// against the YAML file's directory); exactly one certificate source (<see cref="CredentialName"/> or the files) is
/// set for terminating modes; <see cref="Protocols"/> holds only TLS 1.2 and 1.3. <see cref="Path"/> is the block's
/// field path, e.g. <c>spec.servers[0].tls</c>, for errors found when the files are loaded.
/// </summary>
internal sealed record ServerTlsConfig(
    string Path,
    ServerTlsMode Mode,
    bool HttpsRedirect,
    string? ServerCertificate,
    string? PrivateKey,
    string? CaCertificates,
    string? CredentialName,
    IReadOnlyList<string> SubjectAltNames,
    SslProtocols Protocols,
    IReadOnlyList<TlsCipherSuite>? CipherSuites)
{
    public bool Terminates => Mode is ServerTlsMode.Simple or ServerTlsMode.Mutual or ServerTlsMode.OptionalMutual;

    public bool VerifiesClients => Mode is ServerTlsMode.Mutual or ServerTlsMode.OptionalMutual;
}
