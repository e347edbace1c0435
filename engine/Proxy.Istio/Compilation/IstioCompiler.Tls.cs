using System.Globalization;
using Proxy.Engine.Config;
using Proxy.Istio.Loading;
using Proxy.Istio.Model;
using Proxy.Istio.Parsing;
using Proxy.Istio.Tls;

namespace Proxy.Istio.Compilation;

internal sealed partial class IstioCompiler
{
    /// <summary>
    /// The listener of a port with HTTPS and TLS servers: one filter chain per server, selected by SNI among the
    /// server's hosts; null when no server's chain could be built (its errors are recorded).
    /// </summary>
    private ListenerConfig? BuildTlsListener(int port, List<(GatewayConfig Gateway, ServerConfig Server)> servers, List<CompiledVirtualService> virtualServices)
    {
        var chains = new List<TlsFilterChain>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (gateway, server) in servers)
        {
            if (BuildChain(port, gateway, server, virtualServices) is not { } chain)
            {
                continue;
            }

            // Istio's name; two servers of one Gateway with the same port name (which Istio validation rejects)
            // still get distinct names for logs and stats.
            chains.Add(names.Add(chain.Name) ? chain : new TlsFilterChain
            {
                Name = chain.Name + "." + server.Index.ToString(CultureInfo.InvariantCulture),
                ServerNames = chain.ServerNames,
                Termination = chain.Termination,
                Router = chain.Router,
                TcpRouter = chain.TcpRouter,
            });
        }

        return chains.Count == 0
            ? null
            : new ListenerConfig
            {
                Name = ListenerName(_options.ListenAddress, port),
                EndPoint = BindEndPoint(port),
                TlsFilterChains = chains,
            };
    }

    private TlsFilterChain? BuildChain(int port, GatewayConfig gateway, ServerConfig server, List<CompiledVirtualService> virtualServices)
    {
        var tls = server.Tls!;
        var name = string.Create(CultureInfo.InvariantCulture,
            $"{server.Protocol.ToLowerInvariant()}.{port}.{server.PortName}.{gateway.Meta.Name}.{gateway.Meta.Namespace}");

        // The server's hosts without their namespace part are its SNI names (Istio GetSNIHostsForServer).
        var serverNames = server.Hosts.Select(static h => h.Host).Distinct(StringComparer.Ordinal).ToList();
        if (!tls.Terminates)
        {
            return new TlsFilterChain { Name = name, ServerNames = serverNames, TcpRouter = BuildSniRouter(gateway, server, virtualServices) };
        }

        if (BuildTermination(gateway, tls) is not { } termination)
        {
            return null;
        }

        return server.Protocol == PortProtocols.Https
            ? new TlsFilterChain { Name = name, ServerNames = serverNames, Termination = termination, Router = BuildRouter(port, [(gateway, server)], virtualServices) }
            : new TlsFilterChain { Name = name, ServerNames = serverNames, Termination = termination, TcpRouter = BuildTcpRouter(gateway, server, virtualServices) };
    }

    /// <summary>Loads the server's certificate (and, for MUTUAL and OPTIONAL_MUTUAL, client CA); null, with the
    /// error on the field that names the file, when they cannot be loaded.</summary>
    private TlsServerSettings? BuildTermination(GatewayConfig gateway, ServerTlsConfig tls)
    {
        var at = gateway.Meta.Location;
        PemFiles files;
        if (tls.CredentialName is { } credential)
        {
            var ca = tls.VerifiesClients ? CredentialUse.Required : CredentialUse.Ignored;
            if (!_credentials.TryResolve(credential, certificate: true, ca, out var resolved, out var problem))
            {
                _diagnostics.Error(at, NodeReader.Join(tls.Path, "credentialName"), problem);
                return null;
            }

            files = resolved;
        }
        else
        {
            // SIMPLE does not ask for client certificates, so a caCertificates file there is not read.
            files = new PemFiles(tls.ServerCertificate, tls.PrivateKey, tls.VerifiesClients ? tls.CaCertificates : null);
        }

        if (!_credentials.TryGet(files, out var source, out var error))
        {
            var field = tls.CredentialName is not null ? "credentialName"
                : error.Role switch
                {
                    PemFileRole.CertificateChain => "serverCertificate",
                    PemFileRole.PrivateKey => "privateKey",
                    _ => "caCertificates",
                };
            _diagnostics.Error(at, NodeReader.Join(tls.Path, field),
                tls.CredentialName is { } name ? $"credential \"{name}\": {error}" : error.ToString());
            return null;
        }

        return new TlsServerSettings
        {
            Credentials = source,
            ClientCertificateMode = tls.Mode switch
            {
                ServerTlsMode.Mutual => TlsClientCertificateMode.Required,
                ServerTlsMode.OptionalMutual => TlsClientCertificateMode.Optional,
                _ => TlsClientCertificateMode.None,
            },
            SubjectAltNames = tls.SubjectAltNames,
            Protocols = tls.Protocols,
            CipherSuites = tls.CipherSuites,
        };
    }
}
