using System.Net.Security;
using System.Security.Authentication;
using Proxy.Engine.Config;
using Proxy.Engine.Routing;
using static Proxy.Istio.Tests.Tls.TlsYaml;

namespace Proxy.Istio.Tests.Tls;

/// <summary>Gateway HTTPS and TLS servers that terminate TLS: listeners, filter chains, certificates and their errors.</summary>
public sealed class GatewayTlsTests : IDisposable
{
    private const string Prefix = "test.yaml[0] Gateway default/gw: ";
    private readonly TempDirectory _dir = new();

    public GatewayTlsTests() => Leaf = _dir.WriteCredential("certs", "shop.example.com");

    private TestCertificate Leaf { get; }

    public void Dispose() => _dir.Dispose();

    private ProxyConfig Build(string yaml, IstioBuildOptions? options = null) => TestConfig.BuildValid(yaml, options, _dir.Root);

    private IstioBuildResult BuildResult(string yaml, IstioBuildOptions? options = null) => TestConfig.Build(yaml, options, _dir.Root);

    private static TlsFilterChain Chain(ProxyConfig config, string? name = null) =>
        name is null ? Assert.Single(config.Listeners.Single().TlsFilterChains!) : config.Listeners.Single().TlsFilterChains!.Single(c => c.Name == name);

    [Fact]
    public void Build_HttpsSimple_TlsListenerWithTerminatingChainAndServerRoutes()
    {
        var yaml = TestConfig.Docs(Gateway(Server("HTTPS", "[shop.example.com]", Simple)), TestConfig.Backend,
            VirtualService("vs", "[shop.example.com]", http: To("v1")));

        var config = Build(yaml);

        var listener = Assert.Single(config.Listeners);
        Assert.Equal("0.0.0.0_443", listener.Name);
        Assert.Equal(ListenerProtocol.Tls, listener.Protocol);
        listener.Validate();
        var chain = Assert.Single(listener.TlsFilterChains!);
        Assert.Equal("https.443.https.gw.default", chain.Name);
        Assert.Equal(["shop.example.com"], chain.ServerNames);
        Assert.Null(chain.TcpRouter);
        var termination = chain.Termination!;
        Assert.Equal(TlsClientCertificateMode.None, termination.ClientCertificateMode);
        Assert.Equal(SslProtocols.Tls12 | SslProtocols.Tls13, termination.Protocols);
        Assert.Null(termination.CipherSuites);
        Assert.Empty(termination.SubjectAltNames);
        var credentials = termination.Credentials.GetCredentials();
        Assert.Equal(Leaf.Thumbprint, credentials.Certificate!.TargetCertificate.Thumbprint);
        Assert.Null(credentials.TrustedAuthorities);
        Assert.Equal("default/vs.http[0]", TestConfig.Route(chain.Router!, "shop.example.com", "/")?.Name);
        Assert.Equal(["outbound|80|v1|backend.example.internal"], config.Clusters.Select(c => c.Name));
    }

    // gateway.proto TLSmode: SIMPLE asks for no client certificate, MUTUAL requires one, OPTIONAL_MUTUAL validates one
    // if sent; the client CA is read only when client certificates are asked for.
    [Theory]
    [InlineData("SIMPLE", TlsClientCertificateMode.None, false)]
    [InlineData("MUTUAL", TlsClientCertificateMode.Required, true)]
    [InlineData("OPTIONAL_MUTUAL", TlsClientCertificateMode.Optional, true)]
    public void Build_TerminatingMode_ClientCertificateModeAndCa(string mode, TlsClientCertificateMode expected, bool caLoaded)
    {
        var tls = $"{{mode: {mode}, serverCertificate: certs/tls.crt, privateKey: certs/tls.key, caCertificates: certs/ca.crt}}";

        var termination = Chain(Build(Gateway(Server("HTTPS", "[\"*\"]", tls)))).Termination!;

        Assert.Equal(expected, termination.ClientCertificateMode);
        Assert.Equal(caLoaded, termination.Credentials.GetCredentials().TrustedAuthorities is { Count: 1 });
    }

    [Fact]
    public void Build_MutualWithSubjectAltNames_PassedToTermination()
    {
        var tls = "{mode: MUTUAL, serverCertificate: certs/tls.crt, privateKey: certs/tls.key, caCertificates: certs/ca.crt, subjectAltNames: [client.example.com, \"spiffe://td/ns/a/sa/b\"]}";

        var termination = Chain(Build(Gateway(Server("HTTPS", "[\"*\"]", tls)))).Termination!;

        Assert.Equal(["client.example.com", "spiffe://td/ns/a/sa/b"], termination.SubjectAltNames);
    }

    // Istio gives each terminating HTTPS server its own route table (https.<port>.<portName>.<gateway>.<namespace>):
    // a request reaches only VirtualServices whose hosts intersect the hosts of the server whose chain accepted it.
    [Fact]
    public void Build_TwoHttpsServersOnOnePort_OneChainAndRouteTableEach()
    {
        _dir.WriteCredential("other", "b.example.com");
        var yaml = TestConfig.Docs(
            Gateway(Servers(
                Server("HTTPS", "[a.example.com]", Simple, portName: "https-a"),
                Server("HTTPS", "[b.example.com]", "{mode: SIMPLE, serverCertificate: other/tls.crt, privateKey: other/tls.key}", portName: "https-b"))),
            TestConfig.Backend,
            VirtualService("a", "[a.example.com]", http: To("v1")),
            VirtualService("b", "[b.example.com]", http: To("v2")));

        var config = Build(yaml);

        var a = Chain(config, "https.443.https-a.gw.default");
        var b = Chain(config, "https.443.https-b.gw.default");
        Assert.Equal(["a.example.com"], a.ServerNames);
        Assert.Equal(["b.example.com"], b.ServerNames);
        Assert.Equal("default/a.http[0]", TestConfig.Route(a.Router!, "a.example.com", "/")?.Name);
        Assert.Null(TestConfig.Route(a.Router!, "b.example.com", "/"));
        Assert.Equal("default/b.http[0]", TestConfig.Route(b.Router!, "b.example.com", "/")?.Name);
        Assert.NotSame(a.Termination!.Credentials, b.Termination!.Credentials);
    }

    [Fact]
    public void Build_ServersAcrossGatewaysOnOnePort_OneListenerWithAChainPerServer()
    {
        var yaml = TestConfig.Docs(
            Gateway(Server("HTTPS", "[\"team/a.example.com\"]", Simple), name: "a"),
            Gateway(Server("TLS", "[b.example.com]", "{mode: PASSTHROUGH}"), name: "b"));

        var config = Build(yaml);

        var listener = Assert.Single(config.Listeners);
        Assert.Equal(["https.443.https.a.default", "tls.443.tls.b.default"], listener.TlsFilterChains!.Select(c => c.Name));
        Assert.Equal(["a.example.com"], listener.TlsFilterChains![0].ServerNames);
        listener.Validate();
    }

    [Fact]
    public void Build_SameFilesOnSeveralServers_OneSharedCredentialSource()
    {
        var yaml = Gateway(Servers(Server("HTTPS", "[a.example.com]", Simple, portName: "a"), Server("HTTPS", "[b.example.com]", Simple, port: 8443, portName: "b")));

        var config = Build(yaml);

        var sources = config.Listeners.Select(l => l.TlsFilterChains!.Single().Termination!.Credentials).ToList();
        Assert.Same(sources[0], sources[1]);
    }

    [Fact]
    public void Build_AbsolutePaths_UsedAsGiven()
    {
        var tls = $"{{mode: SIMPLE, serverCertificate: \"{_dir.PathOf("certs/tls.crt")}\", privateKey: \"{_dir.PathOf("certs/tls.key")}\"}}";

        var chain = Chain(TestConfig.BuildValid(Gateway(Server("HTTPS", "[\"*\"]", tls))));

        Assert.Equal(Leaf.Thumbprint, chain.Termination!.Credentials.GetCredentials().Certificate!.TargetCertificate.Thumbprint);
    }

    [Fact]
    public void Build_RelativePathInTextWithoutFile_ResolvedAgainstCurrentDirectory()
    {
        var expected = Path.GetFullPath("no-such-dir-for-tests/tls.crt");

        var errors = TestConfig.Errors(Gateway(Server("HTTPS", "[\"*\"]", "{mode: SIMPLE, serverCertificate: no-such-dir-for-tests/tls.crt, privateKey: k.pem}")));

        Assert.Equal([$"{Prefix}spec.servers[0].tls.serverCertificate: cannot load \"{expected}\": no such file"], errors);
    }

    [Fact]
    public void Build_ConfigFileInDirectory_RelativePathsResolvedAgainstThatDirectory()
    {
        var path = _dir.Write("config/gateway.yaml", Gateway(Server("HTTPS", "[\"*\"]", "{mode: SIMPLE, serverCertificate: ../certs/tls.crt, privateKey: ../certs/tls.key}")));

        var result = IstioConfigBuilder.Build(IstioSources.Read([path]), new IstioBuildOptions());

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var chain = result.Config!.Listeners.Single().TlsFilterChains!.Single();
        Assert.Equal(Leaf.Thumbprint, chain.Termination!.Credentials.GetCredentials().Certificate!.TargetCertificate.Thumbprint);
    }

    // gateway.proto minProtocolVersion: "By default, it is TLSV1_2"; this gateway speaks TLS 1.2 and 1.3 only.
    [Theory]
    [InlineData(null, null, SslProtocols.Tls12 | SslProtocols.Tls13)]
    [InlineData("TLS_AUTO", "TLS_AUTO", SslProtocols.Tls12 | SslProtocols.Tls13)]
    [InlineData("TLSV1_2", "TLSV1_2", SslProtocols.Tls12)]
    [InlineData("TLSV1_3", null, SslProtocols.Tls13)]
    [InlineData(null, "TLSV1_3", SslProtocols.Tls12 | SslProtocols.Tls13)]
    public void Build_ProtocolVersions_Protocols(string? min, string? max, SslProtocols expected)
    {
        var tls = "{mode: SIMPLE, serverCertificate: certs/tls.crt, privateKey: certs/tls.key"
            + (min is null ? string.Empty : $", minProtocolVersion: {min}") + (max is null ? string.Empty : $", maxProtocolVersion: {max}") + "}";

        Assert.Equal(expected, Chain(Build(Gateway(Server("HTTPS", "[\"*\"]", tls)))).Termination!.Protocols);
    }

    [Theory]
    [InlineData("TLSV1_0")]
    [InlineData("TLSV1_1")]
    public void Build_MinimumBelowTls12_RaisedTo12WithWarning(string min)
    {
        var result = BuildResult(Gateway(Server("HTTPS", "[\"*\"]", $"{{mode: SIMPLE, serverCertificate: certs/tls.crt, privateKey: certs/tls.key, minProtocolVersion: {min}}}")));

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal(SslProtocols.Tls12 | SslProtocols.Tls13, result.Config!.Listeners.Single().TlsFilterChains!.Single().Termination!.Protocols);
        Assert.Equal([$"{Prefix}spec.servers[0].tls.minProtocolVersion: {min} is not supported by this gateway; the minimum is TLSV1_2"], result.Warnings);
    }

    // OpenSSL names (Istio's list of valid cipher suites) to IANA TLS 1.2 suites.
    [Theory]
    [InlineData("[ECDHE-ECDSA-AES128-GCM-SHA256]", new[] { TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 })]
    [InlineData("[ECDHE-RSA-AES256-GCM-SHA384, ECDHE-RSA-CHACHA20-POLY1305]", new[] { TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 })]
    [InlineData("[ECDHE-ECDSA-CHACHA20-POLY1305, ECDHE-ECDSA-AES256-SHA, ECDHE-RSA-AES128-SHA]", new[] { TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA })]
    [InlineData("[AES128-GCM-SHA256, AES256-GCM-SHA384, AES128-SHA, AES256-SHA, DES-CBC3-SHA]", new[] { TlsCipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256, TlsCipherSuite.TLS_RSA_WITH_AES_256_GCM_SHA384, TlsCipherSuite.TLS_RSA_WITH_AES_128_CBC_SHA, TlsCipherSuite.TLS_RSA_WITH_AES_256_CBC_SHA, TlsCipherSuite.TLS_RSA_WITH_3DES_EDE_CBC_SHA })]
    [InlineData("[\"[ECDHE-ECDSA-AES128-GCM-SHA256|ECDHE-ECDSA-CHACHA20-POLY1305]\", ECDHE-ECDSA-AES128-SHA]", new[] { TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA })]
    public void Build_CipherSuites_MappedFromOpenSslNames(string suites, TlsCipherSuite[] expected)
    {
        var tls = $"{{mode: SIMPLE, serverCertificate: certs/tls.crt, privateKey: certs/tls.key, cipherSuites: {suites}}}";

        Assert.Equal(expected, Chain(Build(Gateway(Server("HTTPS", "[\"*\"]", tls)))).Termination!.CipherSuites);
    }

    [Fact]
    public void Build_DuplicateCipherSuite_WarnedAndListedOnce()
    {
        var result = BuildResult(Gateway(Server("HTTPS", "[\"*\"]", "{mode: SIMPLE, serverCertificate: certs/tls.crt, privateKey: certs/tls.key, cipherSuites: [AES128-SHA, AES128-SHA]}")));

        Assert.Equal([TlsCipherSuite.TLS_RSA_WITH_AES_128_CBC_SHA], result.Config!.Listeners.Single().TlsFilterChains!.Single().Termination!.CipherSuites);
        Assert.Equal([$"{Prefix}spec.servers[0].tls.cipherSuites[1]: duplicate cipher suite \"AES128-SHA\" ignored"], result.Warnings);
    }

    [Fact]
    public void Build_CredentialName_ReadFromCredentialsDirectory()
    {
        var leaf = _dir.WriteCredential("creds/shop-cert", "shop.example.com");
        var options = new IstioBuildOptions { CredentialsDirectory = _dir.PathOf("creds") };

        var termination = Chain(Build(Gateway(Server("HTTPS", "[\"*\"]", "{mode: MUTUAL, credentialName: shop-cert}")), options)).Termination!;

        var credentials = termination.Credentials.GetCredentials();
        Assert.Equal(leaf.Thumbprint, credentials.Certificate!.TargetCertificate.Thumbprint);
        Assert.Single(credentials.TrustedAuthorities!);
        Assert.Equal(TlsClientCertificateMode.Required, termination.ClientCertificateMode);
    }

    // Istio reads a secret's tls.crt/tls.key/ca.crt, or the generic cert/key/cacert, and a CA from <name>-cacert.
    [Theory]
    [InlineData("cert", "key", "cacert", false)]
    [InlineData("tls.crt", "tls.key", null, true)]
    public void Build_CredentialNameAlternativeLayouts_Read(string certName, string keyName, string? caName, bool separateCa)
    {
        var ca = TestCertificates.CreateCa("Client CA");
        var leaf = _dir.WriteCredential("creds/shop", certName: certName, keyName: keyName, caName: caName, ca: ca);
        if (separateCa)
        {
            _dir.Write("creds/shop-cacert/ca.crt", ca.CertificatePem);
        }

        var options = new IstioBuildOptions { CredentialsDirectory = _dir.PathOf("creds") };

        var credentials = Chain(Build(Gateway(Server("HTTPS", "[\"*\"]", "{mode: OPTIONAL_MUTUAL, credentialName: \"kubernetes://shop\"}")), options))
            .Termination!.Credentials.GetCredentials();

        Assert.Equal(leaf.Thumbprint, credentials.Certificate!.TargetCertificate.Thumbprint);
        Assert.Equal("CN=Client CA", Assert.Single(credentials.TrustedAuthorities!).Subject);
    }

    [Fact]
    public void Build_GatewayNotSelected_CertificatesNotRead()
    {
        var options = new IstioBuildOptions { Labels = new Dictionary<string, string> { ["istio"] = "egressgateway" } };
        var yaml = Gateway(Server("HTTPS", "[\"*\"]", "{mode: SIMPLE, serverCertificate: missing.pem, privateKey: missing.key}"), selector: "{istio: ingressgateway}");

        Assert.Empty(Build(yaml, options).Listeners);
    }

    public static TheoryData<string, string, string> InvalidServers => new()
    {
        // Istio validateServer / validateTLSOptions.
        { "HTTPS", "", "spec.servers[0].tls: is required: server must have TLS settings for HTTPS/TLS protocols" },
        { "TLS", "", "spec.servers[0].tls: is required: server must have TLS settings for HTTPS/TLS protocols" },
        { "HTTPS", "{mode: SIMPLE, privateKey: certs/tls.key}", "spec.servers[0].tls.serverCertificate: is required in SIMPLE mode unless credentialName is set" },
        { "HTTPS", "{mode: SIMPLE, serverCertificate: certs/tls.crt}", "spec.servers[0].tls.privateKey: is required in SIMPLE mode unless credentialName is set" },
        { "HTTPS", "{mode: MUTUAL, serverCertificate: certs/tls.crt, privateKey: certs/tls.key}", "spec.servers[0].tls.caCertificates: is required in MUTUAL mode unless credentialName is set: client certificates are verified against it" },
        { "HTTPS", "{mode: OPTIONAL_MUTUAL, serverCertificate: certs/tls.crt, privateKey: certs/tls.key}", "spec.servers[0].tls.caCertificates: is required in OPTIONAL_MUTUAL mode unless credentialName is set: client certificates are verified against it" },
        { "HTTPS", "{mode: SIMPLE, serverCertificate: certs/tls.crt, privateKey: certs/tls.key, subjectAltNames: [a]}", "spec.servers[0].tls.subjectAltNames: applies to client certificates, so only in MUTUAL and OPTIONAL_MUTUAL modes" },
        { "HTTPS", "{mode: SIMPLE, credentialName: c, serverCertificate: certs/tls.crt, privateKey: certs/tls.key}", "spec.servers[0].tls: only one of credentialName or serverCertificate/privateKey may be set" },
        { "HTTPS", "{mode: ISTIO_MUTUAL}", "spec.servers[0].tls.mode: ISTIO_MUTUAL is not supported by this gateway (it needs Istio-issued workload certificates); use MUTUAL with your own CA" },
        { "TLS", "{mode: AUTO_PASSTHROUGH}", "spec.servers[0].tls.mode: AUTO_PASSTHROUGH is not supported by this gateway (it routes by Istio's mesh-internal SNI names); use PASSTHROUGH with VirtualService tls routes" },
        { "HTTPS", "{mode: STRICT}", "spec.servers[0].tls.mode: invalid value \"STRICT\"; expected one of PASSTHROUGH, SIMPLE, MUTUAL, AUTO_PASSTHROUGH, ISTIO_MUTUAL, OPTIONAL_MUTUAL" },
        { "HTTPS", "{mode: SIMPLE, serverCertificate: certs/tls.crt, privateKey: certs/tls.key, caCrl: crl.pem}", "spec.servers[0].tls.caCrl: not supported by this gateway" },
        { "HTTPS", "{mode: MUTUAL, serverCertificate: certs/tls.crt, privateKey: certs/tls.key, caCertificates: certs/ca.crt, verifyCertificateHash: [ab]}", "spec.servers[0].tls.verifyCertificateHash: not supported by this gateway" },
        { "HTTPS", "{mode: SIMPLE, credentialNames: [a, b]}", "spec.servers[0].tls.credentialNames: not supported by this gateway" },
        { "HTTPS", "{mode: SIMPLE, serverCertificate: certs/tls.crt, privateKey: certs/tls.key, maxProtocolVersion: TLSV1_1}", "spec.servers[0].tls.maxProtocolVersion: TLSV1_1 is below the minimum protocol version TLSV1_2" },
        { "HTTPS", "{mode: SIMPLE, serverCertificate: certs/tls.crt, privateKey: certs/tls.key, minProtocolVersion: TLSV1_3, maxProtocolVersion: TLSV1_2}", "spec.servers[0].tls.maxProtocolVersion: TLSV1_2 is below the minimum protocol version TLSV1_3" },
        { "HTTPS", "{mode: SIMPLE, serverCertificate: certs/tls.crt, privateKey: certs/tls.key, minProtocolVersion: SSLV3}", "spec.servers[0].tls.minProtocolVersion: invalid value \"SSLV3\"; expected one of TLS_AUTO, TLSV1_0, TLSV1_1, TLSV1_2, TLSV1_3" },
        { "HTTPS", "{mode: SIMPLE, serverCertificate: certs/tls.crt, privateKey: certs/tls.key, cipherSuites: [AES128-SHA, RC4-MD5]}", "spec.servers[0].tls.cipherSuites[1]: unknown cipher suite \"RC4-MD5\"; expected one of ECDHE-ECDSA-AES128-GCM-SHA256, ECDHE-RSA-AES128-GCM-SHA256, ECDHE-ECDSA-AES256-GCM-SHA384, ECDHE-RSA-AES256-GCM-SHA384, ECDHE-ECDSA-CHACHA20-POLY1305, ECDHE-RSA-CHACHA20-POLY1305, ECDHE-ECDSA-AES128-SHA, ECDHE-RSA-AES128-SHA, ECDHE-ECDSA-AES256-SHA, ECDHE-RSA-AES256-SHA, AES128-GCM-SHA256, AES256-GCM-SHA384, AES128-SHA, AES256-SHA, DES-CBC3-SHA" },
        { "HTTPS", "{mode: SIMPLE, serverCertificate: certs/tls.crt, privateKey: certs/tls.key, cipherSuites: [TLS_AES_128_GCM_SHA256]}", "spec.servers[0].tls.cipherSuites[0]: \"TLS_AES_128_GCM_SHA256\" is a TLS 1.3 suite, which is always enabled and not configurable; list TLS 1.2 suites only" },
        { "HTTPS", "{mode: SIMPLE, credentialName: \"../etc\"}", "spec.servers[0].tls.credentialName: invalid credential name \"../etc\"; expected a Kubernetes secret name (lower-case letters, digits, '-' and '.')" },
        { "HTTPS", "{mode: SIMPLE, credentialName: \"sds://vault/cert\"}", "spec.servers[0].tls.credentialName: credential \"sds://vault/cert\" is not supported: only secret names (optionally kubernetes://NAME) are read from the credentials directory" },
        { "HTTPS", "{mode: SIMPLE, serverCertificate: certs/tls.crt, privateKey: certs/tls.key, sniHosts: [a]}", "spec.servers[0].tls.sniHosts: unknown field" },

        // Istio validateServer: an HTTP server's tls may only redirect; other protocols take no tls.
        { "HTTP", "{mode: SIMPLE, serverCertificate: certs/tls.crt, privateKey: certs/tls.key}", "spec.servers[0].tls: server cannot have TLS settings for plain text HTTP ports; only httpsRedirect applies" },
        { "HTTP", "{httpsRedirect: true, credentialName: c}", "spec.servers[0].tls: server cannot have TLS settings for plain text HTTP ports; only httpsRedirect applies" },
        { "TCP", "{mode: SIMPLE, serverCertificate: certs/tls.crt, privateKey: certs/tls.key}", "spec.servers[0].tls: server cannot have TLS settings for non HTTPS/TLS ports" },
    };

    [Theory]
    [MemberData(nameof(InvalidServers))]
    public void Build_InvalidTls_ErrorWithFieldPath(string protocol, string tls, string expected)
    {
        Assert.Equal([Prefix + expected], TestConfig.Errors(Gateway(Server(protocol, "[\"*\"]", tls)), baseDirectory: _dir.Root));
    }

    [Fact]
    public void Build_CertificateFileMissing_ErrorNamesFieldAndFile()
    {
        var errors = TestConfig.Errors(Gateway(Server("HTTPS", "[\"*\"]", "{mode: SIMPLE, serverCertificate: certs/missing.crt, privateKey: certs/tls.key}")), baseDirectory: _dir.Root);

        Assert.Equal([$"{Prefix}spec.servers[0].tls.serverCertificate: cannot load \"{_dir.PathOf("certs/missing.crt")}\": no such file"], errors);
    }

    [Theory]
    [InlineData("tls.key", "privateKey")]
    [InlineData("ca.crt", "caCertificates")]
    public void Build_FileDoesNotParse_ErrorOnItsField(string file, string field)
    {
        _dir.Write("bad/garbage", "-----BEGIN NOTHING-----\n");
        var tls = file == "tls.key"
            ? "{mode: SIMPLE, serverCertificate: certs/tls.crt, privateKey: bad/garbage}"
            : "{mode: MUTUAL, serverCertificate: certs/tls.crt, privateKey: certs/tls.key, caCertificates: bad/garbage}";

        var error = Assert.Single(TestConfig.Errors(Gateway(Server("HTTPS", "[\"*\"]", tls)), baseDirectory: _dir.Root));

        Assert.StartsWith($"{Prefix}spec.servers[0].tls.{field}: cannot load \"{_dir.PathOf("bad/garbage")}\": ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_CredentialNameWithoutCredentialsDirectory_Error()
    {
        Assert.Equal([$"{Prefix}spec.servers[0].tls.credentialName: credential \"shop\" cannot be read: no credentials directory is configured (--credentials-dir)"],
            TestConfig.Errors(Gateway(Server("HTTPS", "[\"*\"]", "{mode: SIMPLE, credentialName: shop}"))));
    }

    [Fact]
    public void Build_CredentialMissing_ErrorNamesDirectory()
    {
        var options = new IstioBuildOptions { CredentialsDirectory = _dir.PathOf("creds") };

        Assert.Equal([$"{Prefix}spec.servers[0].tls.credentialName: credential \"shop\" not found: no directory \"{_dir.PathOf("creds/shop")}\""],
            TestConfig.Errors(Gateway(Server("HTTPS", "[\"*\"]", "{mode: SIMPLE, credentialName: shop}")), options));
    }

    [Fact]
    public void Build_MutualCredentialWithoutCa_ErrorListsWhereItLooked()
    {
        _dir.WriteCredential("creds/shop", caName: null);
        var options = new IstioBuildOptions { CredentialsDirectory = _dir.PathOf("creds") };
        var d = _dir.PathOf("creds/shop");

        Assert.Equal([$"{Prefix}spec.servers[0].tls.credentialName: credential \"shop\" has no CA certificates: none of \"{d}/ca.crt\", \"{d}/cacert\", \"{d}-cacert/ca.crt\", \"{d}-cacert/cacert\" exists"],
            TestConfig.Errors(Gateway(Server("HTTPS", "[\"*\"]", "{mode: MUTUAL, credentialName: shop}")), options));
    }

    [Fact]
    public void Build_CredentialCertificateDoesNotParse_ErrorOnCredentialName()
    {
        _dir.WriteCredential("creds/shop");
        _dir.Write("creds/shop/tls.crt", "garbage");
        var options = new IstioBuildOptions { CredentialsDirectory = _dir.PathOf("creds") };

        Assert.Equal([$"{Prefix}spec.servers[0].tls.credentialName: credential \"shop\": cannot load \"{_dir.PathOf("creds/shop/tls.crt")}\": no PEM certificate (-----BEGIN CERTIFICATE-----) found"],
            TestConfig.Errors(Gateway(Server("HTTPS", "[\"*\"]", "{mode: SIMPLE, credentialName: shop}")), options));
    }

    [Fact]
    public void Build_HttpsRedirectOnHttpsServer_WarnedAndIgnored()
    {
        var result = BuildResult(Gateway(Server("HTTPS", "[\"*\"]", "{httpsRedirect: true, mode: SIMPLE, serverCertificate: certs/tls.crt, privateKey: certs/tls.key}")));

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Contains($"{Prefix}spec.servers[0].tls.httpsRedirect: should only be used with HTTP servers; ignored", result.Warnings);
    }

    [Fact]
    public void Build_CredentialNameWithCaCertificates_CaFileIgnoredWithWarning()
    {
        _dir.WriteCredential("creds/shop");
        var options = new IstioBuildOptions { CredentialsDirectory = _dir.PathOf("creds") };

        var result = BuildResult(Gateway(Server("HTTPS", "[\"*\"]", "{mode: MUTUAL, credentialName: shop, caCertificates: nowhere.pem}")), options);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal([$"{Prefix}spec.servers[0].tls.caCertificates: ignored: with credentialName the client CA comes from the credential (ca.crt)"], result.Warnings);
    }

    [Fact]
    public void Build_HttpAndHttpsOnOnePort_ErrorNamesLaterServer()
    {
        var yaml = Gateway(Servers(Server("HTTP", "[\"*\"]", port: 8443), Server("HTTPS", "[\"*\"]", Simple, port: 8443)));

        Assert.Equal([$"{Prefix}spec.servers[1].port: port 8443 is already served by the HTTP server Gateway default/gw spec.servers[0]; plaintext HTTP, TCP and TLS (HTTPS, TLS) servers cannot share a port"],
            TestConfig.Errors(yaml, baseDirectory: _dir.Root));
    }

    [Fact]
    public void Build_TcpAfterTlsAcrossGateways_ErrorInLaterGateway()
    {
        var yaml = TestConfig.Docs(Gateway(Server("TLS", "[\"*\"]", "{mode: PASSTHROUGH}"), name: "a"), Gateway(Server("TCP", "[\"*\"]"), name: "b"));

        Assert.Equal(["test.yaml[1] Gateway default/b: spec.servers[0].port: port 443 is already served by the TLS server Gateway default/a spec.servers[0]; plaintext HTTP, TCP and TLS (HTTPS, TLS) servers cannot share a port"],
            TestConfig.Errors(yaml));
    }

    [Fact]
    public void Build_TlsServersRepeatingAHost_LaterServerSkippedWithWarning()
    {
        var yaml = Gateway(Servers(Server("HTTPS", "[a.example.com]", Simple, portName: "a"), Server("HTTPS", "[b.example.com, \"team/a.example.com\"]", Simple, portName: "b")));

        var result = BuildResult(yaml);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal(["https.443.a.gw.default"], result.Config!.Listeners.Single().TlsFilterChains!.Select(c => c.Name));
        Assert.Equal([$"{Prefix}spec.servers[1].hosts: ignored: host \"a.example.com\" is already served on port 443 by Gateway default/gw spec.servers[0], and Istio skips a TLS server that repeats a host"], result.Warnings);
    }

    [Fact]
    public void Build_HttpsRouteTableHonoursMatchPortAndGateways()
    {
        var yaml = TestConfig.Docs(Gateway(Server("HTTPS", "[\"*\"]", Simple)), TestConfig.Backend,
            VirtualService("vs", "[\"*\"]", http: To("v1", "{port: 80}") + "\n" + To("v2", "{port: 443, gateways: [gw]}")));

        var route = TestConfig.Route(Chain(Build(yaml)).Router!, "x.example.com", "/");

        Assert.Equal("outbound|80|v2|backend.example.internal", TestConfig.ClusterOf(route));
    }
}
