using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Proxy.Engine.Tests.Infrastructure;

/// <summary>A TLS upstream that requires a client certificate from <c>trustedCa</c> and answers one request per
/// connection with the client certificate's subject.</summary>
public sealed class MutualTlsBackend : IAsyncDisposable
{
    private readonly X509Certificate2 _certificate;
    private readonly X509Certificate2 _trustedCa;
    private readonly LoopbackServer _server;

    public MutualTlsBackend(X509Certificate2 certificate, X509Certificate2 trustedCa)
    {
        _certificate = certificate;
        _trustedCa = trustedCa;
        _server = new LoopbackServer((socket, _, stopping) => ServeAsync(socket, stopping));
    }

    public IPEndPoint EndPoint => _server.EndPoint;

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private async Task ServeAsync(Socket socket, CancellationToken stopping)
    {
        try
        {
            await using var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true));
            var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            policy.CustomTrustStore.Add(_trustedCa);
            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = _certificate,
                ClientCertificateRequired = true,
                CertificateChainPolicy = policy,
                RemoteCertificateValidationCallback = static (_, cert, _, errors) => cert is not null && errors == SslPolicyErrors.None,
            }, stopping);
            var reader = new ByteReader(ssl);
            await reader.ReadHeadAsync(stopping);
            var body = $"client={ssl.RemoteCertificate?.Subject}";
            await ssl.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\ncontent-length: {body.Length}\r\n\r\n{body}"), stopping);
        }
        catch (Exception)
        {
            // The test sees the failure through the proxy's answer.
        }
    }
}
