using Proxy.Engine.Config;

namespace Proxy.Istio.Tests.Tls;

/// <summary>DestinationRule <c>tls</c> (TLS origination) to a MESH_EXTERNAL, DNS-resolved ServiceEntry.</summary>
public sealed class DestinationRuleTlsTests : IDisposable
{
    private const string Prefix = "test.yaml[2] DestinationRule default/api: ";
    private const string Http80 = "outbound|80||api.example.com";
    private const string Tls443 = "outbound|443||api.example.com";
    private readonly TempDirectory _dir = new();

    public DestinationRuleTlsTests() => _dir.WriteCredential("client", "gateway.example.com");

    public void Dispose() => _dir.Dispose();

    // Istio's egress TLS origination example: the app speaks HTTP to port 80, which targets 443, where the gateway
    // originates TLS.
    private static string Config(string drSpec, string serviceEntryExtra = "") => TestConfig.Docs(TestConfig.Gateway, $$"""
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: api}
        spec:
          hosts: [api.example.com]
          location: MESH_EXTERNAL
          resolution: DNS
          ports:
          - {number: 80, name: http, protocol: HTTP, targetPort: 443}
          - {number: 443, name: https, protocol: TLS}
        {{serviceEntryExtra}}
        """, $$"""
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: api}
        spec:
          host: api.example.com
        {{drSpec}}
        """, TestConfig.VirtualService("""
          - match: [{uri: {prefix: /tls}}]
            route: [{destination: {host: api.example.com, port: {number: 443}}}]
          - match: [{uri: {prefix: /v1}}]
            route: [{destination: {host: api.example.com, port: {number: 80}, subset: v1}}]
          - route: [{destination: {host: api.example.com, port: {number: 80}}}]
        """));

    private const string SubsetV1 = "  subsets: [{name: v1}]\n";

    private ProxyConfig Build(string drSpec, IstioBuildOptions? options = null, string serviceEntryExtra = "") =>
        TestConfig.BuildValid(Config(drSpec + (drSpec.Contains("subsets", StringComparison.Ordinal) ? string.Empty : SubsetV1), serviceEntryExtra), options, _dir.Root);

    private static ClusterConfig Cluster(ProxyConfig config, string name) => config.Clusters.Single(c => c.Name == name);

    [Fact]
    public void Build_MeshExternalDns_EndpointIsTheHostOnTheTargetPort()
    {
        var config = Build(string.Empty);

        Assert.Equal([new EndpointConfig("api.example.com", 443)], Cluster(config, Http80).Endpoints);
        Assert.Equal([new EndpointConfig("api.example.com", 443)], Cluster(config, Tls443).Endpoints);
        Assert.Null(Cluster(config, Http80).Tls);
    }

    [Fact]
    public void Build_Simple_SniDefaultsToTheHostAndOsTrustStore()
    {
        var tls = Cluster(Build("  trafficPolicy: {tls: {mode: SIMPLE}}\n"), Http80).Tls!;

        Assert.Equal("api.example.com", tls.Sni);
        Assert.Null(tls.Credentials);
        Assert.Empty(tls.SubjectAltNames);
        Assert.False(tls.InsecureSkipVerify);
    }

    [Fact]
    public void Build_SimpleWithCaSniAndSubjectAltNames_AllPassed()
    {
        var tls = Cluster(Build("  trafficPolicy: {tls: {mode: SIMPLE, caCertificates: client/ca.crt, sni: edge.example.com, subjectAltNames: [api.example.com, \"*.example.com\"]}}\n"), Http80).Tls!;

        Assert.Equal("edge.example.com", tls.Sni);
        Assert.Equal(["api.example.com", "*.example.com"], tls.SubjectAltNames);
        var credentials = tls.Credentials!.GetCredentials();
        Assert.Null(credentials.Certificate);
        Assert.Equal("CN=Test CA", Assert.Single(credentials.TrustedAuthorities!).Subject);
    }

    [Fact]
    public void Build_InsecureSkipVerify_Passed()
    {
        Assert.True(Cluster(Build("  trafficPolicy: {tls: {mode: SIMPLE, insecureSkipVerify: true}}\n"), Http80).Tls!.InsecureSkipVerify);
    }

    [Fact]
    public void Build_Mutual_ClientCertificateAndCa()
    {
        var tls = Cluster(Build("  trafficPolicy: {tls: {mode: MUTUAL, clientCertificate: client/tls.crt, privateKey: client/tls.key, caCertificates: client/ca.crt}}\n"), Http80).Tls!;

        var credentials = tls.Credentials!.GetCredentials();
        Assert.Equal("CN=gateway.example.com", credentials.Certificate!.TargetCertificate.Subject);
        Assert.Single(credentials.TrustedAuthorities!);
    }

    [Fact]
    public void Build_MutualWithoutCa_OsTrustStore()
    {
        var credentials = Cluster(Build("  trafficPolicy: {tls: {mode: MUTUAL, clientCertificate: client/tls.crt, privateKey: client/tls.key}}\n"), Http80).Tls!.Credentials!.GetCredentials();

        Assert.NotNull(credentials.Certificate);
        Assert.Null(credentials.TrustedAuthorities);
    }

    [Fact]
    public void Build_ServiceEntrySubjectAltNames_UsedWhenRuleHasNone()
    {
        var config = Build("  trafficPolicy:\n    tls: {mode: SIMPLE}\n    portLevelSettings: [{port: {number: 443}, tls: {mode: SIMPLE, subjectAltNames: [own.example.com]}}]\n",
            serviceEntryExtra: "  subjectAltNames: [api.example.com]");

        Assert.Equal(["api.example.com"], Cluster(config, Http80).Tls!.SubjectAltNames);
        Assert.Equal(["own.example.com"], Cluster(config, Tls443).Tls!.SubjectAltNames);
    }

    // destination_rule.proto portLevelSettings: "default values will be applied to fields omitted in port-level
    // traffic policies" — a port entry replaces the policy, it does not inherit from it.
    [Fact]
    public void Build_PortLevelSettings_ReplaceThePolicyForThatPortOnly()
    {
        var config = Build("""
              trafficPolicy:
                loadBalancer: {simple: ROUND_ROBIN}
                tls: {mode: SIMPLE}
                portLevelSettings:
                - port: {number: 443}
                  loadBalancer: {simple: RANDOM}
            """ + "\n");

        Assert.Equal(LoadBalancingPolicy.RoundRobin, Cluster(config, Http80).LoadBalancing);
        Assert.NotNull(Cluster(config, Http80).Tls);
        Assert.Equal(LoadBalancingPolicy.Random, Cluster(config, Tls443).LoadBalancing);
        Assert.Null(Cluster(config, Tls443).Tls);
    }

    [Fact]
    public void Build_PortLevelTlsOnly_OriginatesOnThatPort()
    {
        var config = Build("  trafficPolicy:\n    portLevelSettings: [{port: {number: 80}, tls: {mode: SIMPLE}}]\n");

        Assert.Equal("api.example.com", Cluster(config, Http80).Tls!.Sni);
        Assert.Null(Cluster(config, Tls443).Tls);
    }

    // Istio MergeSubsetTrafficPolicy: a subset's fields override the rule's one by one; a subset's port entry
    // replaces them all.
    [Theory]
    [InlineData("{name: v1, trafficPolicy: {tls: {mode: SIMPLE, sni: v1.example.com}}}", "v1.example.com", LoadBalancingPolicy.RoundRobin)]
    [InlineData("{name: v1, trafficPolicy: {loadBalancer: {simple: RANDOM}}}", "api.example.com", LoadBalancingPolicy.Random)]
    [InlineData("{name: v1, trafficPolicy: {tls: {mode: DISABLE}}}", null, LoadBalancingPolicy.RoundRobin)]
    [InlineData("{name: v1, trafficPolicy: {portLevelSettings: [{port: {number: 80}, loadBalancer: {simple: RANDOM}}]}}", null, LoadBalancingPolicy.Random)]
    [InlineData("{name: v1, trafficPolicy: {portLevelSettings: [{port: {number: 443}, tls: {mode: DISABLE}}]}}", "api.example.com", LoadBalancingPolicy.RoundRobin)]
    public void Build_SubsetPolicy_MergedAsIstioDoes(string subset, string? sni, LoadBalancingPolicy loadBalancing)
    {
        var config = Build($"  trafficPolicy: {{loadBalancer: {{simple: ROUND_ROBIN}}, tls: {{mode: SIMPLE}}}}\n  subsets: [{subset}]\n");

        var cluster = Cluster(config, "outbound|80|v1|api.example.com");
        Assert.Equal(sni, cluster.Tls?.Sni);
        Assert.Equal(loadBalancing, cluster.LoadBalancing);
        Assert.Equal("api.example.com", Cluster(config, Http80).Tls!.Sni);
    }

    [Fact]
    public void Build_CredentialName_MutualFromCredentialsDirectory()
    {
        _dir.WriteCredential("creds/api-client", "gateway.example.com");
        var options = new IstioBuildOptions { CredentialsDirectory = _dir.PathOf("creds") };

        var credentials = Cluster(Build("  trafficPolicy: {tls: {mode: MUTUAL, credentialName: api-client}}\n", options), Http80).Tls!.Credentials!.GetCredentials();

        Assert.NotNull(credentials.Certificate);
        Assert.Single(credentials.TrustedAuthorities!);
    }

    [Fact]
    public void Build_CredentialNameSimple_CaFromCredential()
    {
        var ca = TestCertificates.CreateCa("Upstream CA");
        _dir.Write("creds/api-ca/ca.crt", ca.CertificatePem);
        var options = new IstioBuildOptions { CredentialsDirectory = _dir.PathOf("creds") };

        var credentials = Cluster(Build("  trafficPolicy: {tls: {mode: SIMPLE, credentialName: api-ca}}\n", options), Http80).Tls!.Credentials!.GetCredentials();

        Assert.Null(credentials.Certificate);
        Assert.Equal("CN=Upstream CA", Assert.Single(credentials.TrustedAuthorities!).Subject);
    }

    [Fact]
    public void Build_SameFilesForSeveralClusters_OneSource()
    {
        var config = Build("  trafficPolicy: {tls: {mode: SIMPLE, caCertificates: client/ca.crt}}\n  subsets: [{name: v1, trafficPolicy: {tls: {mode: SIMPLE, sni: v1.example.com, caCertificates: client/ca.crt}}}]\n");

        Assert.Same(Cluster(config, Http80).Tls!.Credentials, Cluster(config, "outbound|80|v1|api.example.com").Tls!.Credentials);
    }

    public static TheoryData<string, string> InvalidTls => new()
    {
        // Istio ValidateTLS.
        { "{mode: MUTUAL, privateKey: client/tls.key}", "spec.trafficPolicy.tls.clientCertificate: is required in MUTUAL mode unless credentialName is set" },
        { "{mode: MUTUAL, clientCertificate: client/tls.crt}", "spec.trafficPolicy.tls.privateKey: is required in MUTUAL mode unless credentialName is set" },
        { "{mode: ISTIO_MUTUAL}", "spec.trafficPolicy.tls.mode: ISTIO_MUTUAL is not supported by this gateway (it needs Istio-issued workload certificates); use MUTUAL with clientCertificate and privateKey" },
        { "{mode: SIMPLE, insecureSkipVerify: true, caCertificates: client/ca.crt}", "spec.trafficPolicy.tls: cannot specify caCertificates, credentialName or subjectAltNames when insecureSkipVerify is true" },
        { "{mode: MUTUAL, clientCertificate: client/tls.crt, privateKey: client/tls.key, insecureSkipVerify: true, subjectAltNames: [a]}", "spec.trafficPolicy.tls: cannot specify caCertificates or subjectAltNames when insecureSkipVerify is true" },
        { "{mode: MUTUAL, credentialName: c, clientCertificate: client/tls.crt}", "spec.trafficPolicy.tls: cannot specify clientCertificate, privateKey or caCertificates when credentialName is set" },
        { "{mode: SIMPLE, caCrl: crl.pem}", "spec.trafficPolicy.tls.caCrl: not supported by this gateway" },
        { "{mode: SIMPLE, sni: \"*.example.com\"}", "spec.trafficPolicy.tls.sni: \"*.example.com\" is not a server name (a DNS name without wildcard)" },
        { "{mode: SIMPLE, caCertificates: client/missing.pem}", "spec.trafficPolicy.tls.caCertificates: cannot load \"{dir}/client/missing.pem\": no such file" },
        { "{mode: MUTUAL, clientCertificate: client/nope.crt, privateKey: client/tls.key}", "spec.trafficPolicy.tls.clientCertificate: cannot load \"{dir}/client/nope.crt\": no such file" },
        { "{mode: MUTUAL, clientCertificate: client/tls.crt, privateKey: client/ca.crt}", "spec.trafficPolicy.tls.privateKey: cannot load \"{dir}/client/ca.crt\": no unencrypted PEM private key for the certificate in \"{dir}/client/tls.crt\"" },
        { "{mode: SIMPLE, credentialName: c}", "spec.trafficPolicy.tls.credentialName: credential \"c\" cannot be read: no credentials directory is configured (--credentials-dir)" },
        { "{mode: STRICT}", "spec.trafficPolicy.tls.mode: invalid value \"STRICT\"; expected one of DISABLE, SIMPLE, MUTUAL, ISTIO_MUTUAL" },
    };

    [Theory]
    [MemberData(nameof(InvalidTls))]
    public void Build_InvalidTls_ErrorWithFieldPath(string tls, string expected)
    {
        var errors = TestConfig.Errors(Config($"  trafficPolicy: {{tls: {tls}}}\n" + SubsetV1), baseDirectory: _dir.Root);

        var error = Assert.Single(errors);
        Assert.StartsWith(Prefix + expected.Replace("{dir}", _dir.Root, StringComparison.Ordinal), error, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_InvalidTlsInRuleNoRouteUses_StillAnError()
    {
        var yaml = TestConfig.Docs(TestConfig.Gateway,
            "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: unused}\nspec:\n  host: nothing.example.com\n  subsets:\n  - name: v1\n    trafficPolicy: {portLevelSettings: [{port: {number: 8443}, tls: {mode: SIMPLE, caCertificates: missing.pem}}]}");

        Assert.Equal([$"test.yaml[1] DestinationRule default/unused: spec.subsets[0].trafficPolicy.portLevelSettings[0].tls.caCertificates: cannot load \"{_dir.PathOf("missing.pem")}\": no such file"],
            TestConfig.Errors(yaml, baseDirectory: _dir.Root));
    }

    [Fact]
    public void Build_WildcardServiceEntryWithoutSni_Error()
    {
        var yaml = TestConfig.Docs(TestConfig.Gateway, """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: wild}
            spec:
              hosts: ["*.example.com"]
              resolution: STATIC
              ports: [{number: 443, name: https, protocol: TLS}]
              endpoints: [{address: 10.0.0.1}]
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: wild}
            spec:
              host: "*.example.com"
              trafficPolicy: {tls: {mode: SIMPLE}}
            """, TestConfig.VirtualService("  - route: [{destination: {host: a.example.com}}]"));

        Assert.Equal(["test.yaml[2] DestinationRule default/wild: spec.trafficPolicy.tls.sni: is required: the host \"*.example.com\" of ServiceEntry default/wild is a wildcard, which cannot be sent as SNI"],
            TestConfig.Errors(yaml));
    }

    [Fact]
    public void Build_DuplicatePortLevelSettings_FirstWins()
    {
        var result = TestConfig.Build(Config("  trafficPolicy:\n    portLevelSettings:\n    - {port: {number: 80}, tls: {mode: SIMPLE}}\n    - {port: {number: 80}, tls: {mode: DISABLE}}\n" + SubsetV1));

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.NotNull(result.Config!.Clusters.Single(c => c.Name == Http80).Tls);
        Assert.Equal([$"{Prefix}spec.trafficPolicy.portLevelSettings[1].port: ignored: port 80 already has settings at spec.trafficPolicy.portLevelSettings[0]"], result.Warnings);
    }
}
