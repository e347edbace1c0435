using Proxy.Engine.Config;
using Proxy.Istio.Hosts;
using Proxy.Istio.Loading;
using Proxy.Istio.Model;
using Proxy.Istio.Tls;

namespace Proxy.Istio.Compilation;

/// <summary>
/// Turns DestinationRule <c>tls</c> blocks into the engine's <see cref="UpstreamTlsSettings"/>. Every block's files are
/// loaded up front (<see cref="LoadAll"/>), so a missing or broken certificate is an error whether or not a route
/// reaches the rule yet; settings are then made per cluster, since the default SNI is the cluster's host.
/// </summary>
internal sealed class UpstreamTlsFactory
{
    private readonly CredentialSources _credentials;
    private readonly Diagnostics _diagnostics;
    private readonly Dictionary<ClientTlsConfig, ITlsCredentialSource?> _sources = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<ClientTlsConfig> _wildcardReported = new(ReferenceEqualityComparer.Instance);

    public UpstreamTlsFactory(CredentialSources credentials, Diagnostics diagnostics)
    {
        _credentials = credentials;
        _diagnostics = diagnostics;
    }

    public void LoadAll(IEnumerable<DestinationRuleConfig> rules)
    {
        foreach (var rule in rules)
        {
            var policies = new[] { rule.TrafficPolicy }.Concat(rule.Subsets.Select(static s => s.TrafficPolicy)).OfType<TrafficPolicyConfig>();
            foreach (var policy in policies)
            {
                foreach (var tls in new[] { policy.Tls }.Concat((policy.PortLevelSettings ?? []).Select(static p => p.Policy.Tls)).OfType<ClientTlsConfig>())
                {
                    Load(tls);
                }
            }
        }
    }

    /// <summary>
    /// The settings for a cluster of <paramref name="service"/>; null for DISABLE (plaintext). SNI defaults to the
    /// service host (Envoy in Istio derives it from the request's authority; a cluster here has one host name), and
    /// the server certificate is checked against the DestinationRule's subjectAltNames, else the ServiceEntry's, else
    /// that SNI.
    /// </summary>
    public UpstreamTlsSettings? Create(ClientTlsConfig tls, ServiceRegistration service)
    {
        if (tls.Mode is not (ClientTlsMode.Simple or ClientTlsMode.Mutual))
        {
            return null;
        }

        var sni = tls.Sni;
        if (sni is null)
        {
            if (HostName.IsWildcard(service.Host.Qualified) && _wildcardReported.Add(tls))
            {
                _diagnostics.Error(tls.Location, NodeReader.Join(tls.Path, "sni"),
                    $"is required: the host \"{service.Host.Qualified}\" of {service.Entry.Meta.Ref} is a wildcard, which cannot be sent as SNI");
            }

            sni = service.Host.Qualified;
        }

        return new UpstreamTlsSettings
        {
            Sni = sni,
            Credentials = Load(tls),
            SubjectAltNames = tls.SubjectAltNames.Count > 0 ? tls.SubjectAltNames : service.Entry.SubjectAltNames,
            InsecureSkipVerify = tls.InsecureSkipVerify,
        };
    }

    /// <summary>Client certificate (MUTUAL) and CA bundle; null when neither is configured: the OS trust store.</summary>
    private ITlsCredentialSource? Load(ClientTlsConfig tls)
    {
        if (_sources.TryGetValue(tls, out var cached))
        {
            return cached;
        }

        _sources[tls] = null;
        if (tls.Mode is not (ClientTlsMode.Simple or ClientTlsMode.Mutual))
        {
            return null;
        }

        var mutual = tls.Mode == ClientTlsMode.Mutual;
        PemFiles files;
        if (tls.CredentialName is { } name)
        {
            // SIMPLE takes only the CA from a credential, so it must have one; MUTUAL needs the client certificate
            // and uses the CA when present (the OS trust store otherwise).
            if (!_credentials.TryResolve(name, certificate: mutual, mutual ? CredentialUse.Optional : CredentialUse.Required, out var resolved, out var problem))
            {
                _diagnostics.Error(tls.Location, NodeReader.Join(tls.Path, "credentialName"), problem);
                return null;
            }

            files = resolved;
        }
        else
        {
            files = new PemFiles(tls.ClientCertificate, tls.PrivateKey, tls.CaCertificates);
        }

        if (files.CertificateChain is null && files.CertificateAuthorities is null)
        {
            return null;
        }

        if (!_credentials.TryGet(files, out var source, out var error))
        {
            var field = tls.CredentialName is not null ? "credentialName"
                : error.Role switch
                {
                    PemFileRole.CertificateChain => "clientCertificate",
                    PemFileRole.PrivateKey => "privateKey",
                    _ => "caCertificates",
                };
            var message = tls.CredentialName is { } credential ? $"credential \"{credential}\": {error}" : error.ToString();
            _diagnostics.Error(tls.Location, NodeReader.Join(tls.Path, field), message);
            return null;
        }

        _sources[tls] = source;
        return source;
    }
}
