using System.Net.Security;
using System.Security.Authentication;
using Proxy.Istio.Loading;
using Proxy.Istio.Model;
using YamlDotNet.RepresentationModel;

namespace Proxy.Istio.Parsing;

/// <summary>A Gateway server's <c>tls</c> (gateway.proto ServerTLSSettings), checked against the server's protocol
/// the way Istio's validateServer and validateTLSOptions do.</summary>
internal static class GatewayTlsParser
{
    private static readonly string[] Modes = ["PASSTHROUGH", "SIMPLE", "MUTUAL", "AUTO_PASSTHROUGH", "ISTIO_MUTUAL", "OPTIONAL_MUTUAL"];
    private static readonly string[] ProtocolVersions = ["TLS_AUTO", "TLSV1_0", "TLSV1_1", "TLSV1_2", "TLSV1_3"];

    // Accepting these while ignoring them would admit clients (or revoked certificates) the configuration means to refuse.
    private static readonly string[] Refused = ["caCrl", "verifyCertificateSpki", "verifyCertificateHash", "caCertCredentialName", "credentialNames", "tlsCertificates"];
    private static readonly string[] CertificateFields = ["serverCertificate", "privateKey", "caCertificates", "credentialName"];

    /// <summary>Returns null, with errors recorded, when the block is invalid for the server.</summary>
    public static ServerTlsConfig? Parse(YamlNode? node, string path, string protocol, NodeReader reader)
    {
        var errors = reader.ErrorCount;
        var tls = reader.Mapping(node, path,
            ["httpsRedirect", "mode", "serverCertificate", "privateKey", "caCertificates", "credentialName", "subjectAltNames",
             "minProtocolVersion", "maxProtocolVersion", "cipherSuites", .. Refused],
            unsupported: ["insecureSkipVerify", "ecdhCurves"]);
        if (tls is null)
        {
            return null;
        }

        foreach (var field in Refused.Where(tls.Has))
        {
            reader.Error(tls.PathOf(field), "not supported by this gateway");
        }

        var httpsRedirect = reader.Bool(tls["httpsRedirect"], tls.PathOf("httpsRedirect")) ?? false;
        var mode = reader.Enum(tls["mode"], tls.PathOf("mode"), Modes) switch
        {
            "SIMPLE" => ServerTlsMode.Simple,
            "MUTUAL" => ServerTlsMode.Mutual,
            "OPTIONAL_MUTUAL" => ServerTlsMode.OptionalMutual,
            "AUTO_PASSTHROUGH" => ServerTlsMode.AutoPassthrough,
            "ISTIO_MUTUAL" => ServerTlsMode.IstioMutual,
            _ => ServerTlsMode.Passthrough,
        };
        var serverCertificate = TlsFiles.ReadPath(reader, tls, "serverCertificate");
        var privateKey = TlsFiles.ReadPath(reader, tls, "privateKey");
        var caCertificates = TlsFiles.ReadPath(reader, tls, "caCertificates");
        var credentialName = TlsFiles.ReadCredentialName(reader, tls);
        var subjectAltNames = reader.StringList(tls["subjectAltNames"], tls.PathOf("subjectAltNames"))?.Select(static s => s.Value).ToList() ?? [];
        var protocols = ReadProtocols(tls, reader);
        var cipherSuites = ReadCipherSuites(tls, reader);

        if (PortProtocols.IsTls(protocol))
        {
            if (httpsRedirect)
            {
                reader.Warning(tls.PathOf("httpsRedirect"), "should only be used with HTTP servers; ignored");
                httpsRedirect = false;
            }

            CheckTerminatingModes(tls, mode, serverCertificate, privateKey, caCertificates, credentialName, subjectAltNames, reader);
        }
        else if (PortProtocols.IsPlainHttp(protocol))
        {
            // Istio validateServer: an HTTP server's tls may only carry httpsRedirect (mode unset means PASSTHROUGH).
            if (mode != ServerTlsMode.Passthrough || CertificateFields.Any(tls.Has))
            {
                reader.Error(path, "server cannot have TLS settings for plain text HTTP ports; only httpsRedirect applies");
            }
        }
        else
        {
            reader.Error(path, "server cannot have TLS settings for non HTTPS/TLS ports");
        }

        return reader.ErrorCount > errors
            ? null
            : new ServerTlsConfig(path, mode, httpsRedirect, serverCertificate, privateKey, caCertificates, credentialName, subjectAltNames, protocols, cipherSuites);
    }

    private static void CheckTerminatingModes(Fields tls, ServerTlsMode mode, string? serverCertificate, string? privateKey, string? caCertificates,
        string? credentialName, List<string> subjectAltNames, NodeReader reader)
    {
        switch (mode)
        {
            case ServerTlsMode.IstioMutual:
                reader.Error(tls.PathOf("mode"), "ISTIO_MUTUAL is not supported by this gateway (it needs Istio-issued workload certificates); use MUTUAL with your own CA");
                return;
            case ServerTlsMode.AutoPassthrough:
                reader.Error(tls.PathOf("mode"), "AUTO_PASSTHROUGH is not supported by this gateway (it routes by Istio's mesh-internal SNI names); use PASSTHROUGH with VirtualService tls routes");
                return;
            case ServerTlsMode.Passthrough:
                var ignored = CertificateFields.Concat(["subjectAltNames", "minProtocolVersion", "maxProtocolVersion", "cipherSuites"]).Where(tls.Has).ToList();
                if (ignored.Count > 0)
                {
                    reader.Warning(tls.Path, $"PASSTHROUGH mode does not terminate TLS; {string.Join(", ", ignored)} ignored");
                }

                return;
        }

        var modeName = mode switch
        {
            ServerTlsMode.Simple => "SIMPLE",
            ServerTlsMode.Mutual => "MUTUAL",
            _ => "OPTIONAL_MUTUAL",
        };
        var verifiesClients = mode != ServerTlsMode.Simple;

        // An invalid or refused credential field is reported already; do not ask for the files on top.
        if (credentialName is not null || tls.Has("credentialName") || tls.Has("credentialNames") || tls.Has("tlsCertificates"))
        {
            if (serverCertificate is not null || privateKey is not null)
            {
                reader.Error(tls.Path, "only one of credentialName or serverCertificate/privateKey may be set");
            }

            if (caCertificates is not null)
            {
                reader.Warning(tls.PathOf("caCertificates"), $"ignored: with credentialName the client CA comes from the credential (ca.crt)");
            }
        }
        else
        {
            if (serverCertificate is null)
            {
                reader.Error(tls.PathOf("serverCertificate"), $"is required in {modeName} mode unless credentialName is set");
            }

            if (privateKey is null)
            {
                reader.Error(tls.PathOf("privateKey"), $"is required in {modeName} mode unless credentialName is set");
            }

            if (verifiesClients && caCertificates is null)
            {
                reader.Error(tls.PathOf("caCertificates"), $"is required in {modeName} mode unless credentialName is set: client certificates are verified against it");
            }
        }

        if (!verifiesClients && subjectAltNames.Count > 0)
        {
            reader.Error(tls.PathOf("subjectAltNames"), "applies to client certificates, so only in MUTUAL and OPTIONAL_MUTUAL modes");
        }
    }

    /// <summary>
    /// minProtocolVersion defaults to TLS 1.2 (gateway.proto); this gateway speaks TLS 1.2 and 1.3 only, so a lower
    /// minimum is raised to 1.2 with a warning. TLS_AUTO as maximum means 1.3.
    /// </summary>
    private static SslProtocols ReadProtocols(Fields tls, NodeReader reader)
    {
        var minimum = Version(reader.Enum(tls["minProtocolVersion"], tls.PathOf("minProtocolVersion"), ProtocolVersions)) ?? 2;
        var maximum = Version(reader.Enum(tls["maxProtocolVersion"], tls.PathOf("maxProtocolVersion"), ProtocolVersions)) ?? 3;
        if (minimum < 2)
        {
            reader.Warning(tls.PathOf("minProtocolVersion"), $"TLSV1_{minimum} is not supported by this gateway; the minimum is TLSV1_2");
            minimum = 2;
        }

        if (maximum < minimum)
        {
            reader.Error(tls.PathOf("maxProtocolVersion"), $"TLSV1_{maximum} is below the minimum protocol version TLSV1_{minimum}");
            return SslProtocols.Tls12 | SslProtocols.Tls13;
        }

        var protocols = SslProtocols.None;
        if (minimum <= 2)
        {
            protocols |= SslProtocols.Tls12;
        }

        if (maximum >= 3)
        {
            protocols |= SslProtocols.Tls13;
        }

        return protocols;
    }

    /// <summary>The minor version of TLSV1_x; null for TLS_AUTO or an invalid value.</summary>
    private static int? Version(string? value) => value is { Length: 7 } && value.StartsWith("TLSV1_", StringComparison.Ordinal) ? value[6] - '0' : null;

    /// <summary>
    /// OpenSSL names, as Envoy takes them; a BoringSSL equal-preference group <c>[A|B]</c> contributes its members. Istio
    /// drops unknown names with a warning; here they are errors, since a misspelt suite silently changes what clients
    /// can negotiate.
    /// </summary>
    private static List<TlsCipherSuite>? ReadCipherSuites(Fields tls, NodeReader reader)
    {
        var names = reader.StringList(tls["cipherSuites"], tls.PathOf("cipherSuites"));
        if (names is null || names.Count == 0)
        {
            return null;
        }

        var suites = new List<TlsCipherSuite>();
        foreach (var (entry, itemPath) in names)
        {
            var members = entry.Length > 2 && entry[0] == '[' && entry[^1] == ']' ? entry[1..^1].Split('|') : [entry];
            foreach (var name in members)
            {
                if (CipherSuiteNames.TryGet(name, out var suite))
                {
                    if (suites.Contains(suite))
                    {
                        reader.Warning(itemPath, $"duplicate cipher suite \"{name}\" ignored");
                        continue;
                    }

                    suites.Add(suite);
                }
                else if (CipherSuiteNames.IsTls13(name))
                {
                    reader.Error(itemPath, $"\"{name}\" is a TLS 1.3 suite, which is always enabled and not configurable; list TLS 1.2 suites only");
                }
                else
                {
                    reader.Error(itemPath, $"unknown cipher suite \"{name}\"; expected one of {CipherSuiteNames.Expected}");
                }
            }
        }

        return suites;
    }
}
