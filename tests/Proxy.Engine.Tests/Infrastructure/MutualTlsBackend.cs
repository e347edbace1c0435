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
    private readonly Socket _listener;
    private readonly Task _acceptLoop;
    private readonly CancellationTokenSource _cts = new();

    public MutualTlsBackend(X509Certificate2 certificate, X509Certificate2 trustedCa)
    {
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(16);
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _acceptLoop = AcceptLoopAsync(certificate, trustedCa);
    }

    public IPEndPoint EndPoint { get; }

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync();
        _listener.Dispose();
        try
        {
            await _acceptLoop;
        }
        catch (Exception)
        {
        }

        _cts.Dispose();
    }

    private async Task AcceptLoopAsync(X509Certificate2 certificate, X509Certificate2 trustedCa)
    {
        while (!_cts.IsCancellationRequested)
        {
            var socket = await _listener.AcceptAsync(_cts.Token);
            _ = Task.Run(async () =>
            {
                try
                {
                    await using var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true));
                    var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
                    policy.CustomTrustStore.Add(trustedCa);
                    await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                    {
                        ServerCertificate = certificate,
                        ClientCertificateRequired = true,
                        CertificateChainPolicy = policy,
                        RemoteCertificateValidationCallback = static (_, cert, _, errors) => cert is not null && errors == SslPolicyErrors.None,
                    }, _cts.Token);
                    var reader = new ByteReader(ssl);
                    await reader.ReadHeadAsync(_cts.Token);
                    var body = $"client={ssl.RemoteCertificate?.Subject}";
                    await ssl.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\ncontent-length: {body.Length}\r\n\r\n{body}"), _cts.Token);
                }
                catch (Exception)
                {
                    // The test sees the failure through the proxy's answer.
                }
            });
        }
    }
}
