using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Proxy.Host.Tests.Cli;

public sealed class ProxyCliTests
{
    [Fact]
    public async Task Validate_ValidConfig_Exits0AndSaysValid()
    {
        using var config = new TempConfig();
        var path = config.Write("gateway.yaml", TestYaml.Valid);

        var result = await CliRunner.RunAsync("validate", "--config", path);

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("configuration is valid", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_Directory_ReadsEveryYamlFile()
    {
        using var config = new TempConfig();
        config.Write("gateway.yaml", TestYaml.Valid);

        var result = await CliRunner.RunAsync("validate", "--config", config.Root);

        Assert.True(result.ExitCode == 0, result.Stderr);
    }

    [Fact]
    public async Task Validate_BadRegexAndUnknownSubset_Exits1AndPrintsBothErrorsInDesignFormat()
    {
        using var config = new TempConfig();
        var path = config.Write("routes.yaml", TestYaml.Invalid);

        var result = await CliRunner.RunAsync("validate", "--config", path);

        Assert.Equal(1, result.ExitCode);
        Assert.DoesNotContain("configuration is valid", result.Stdout, StringComparison.Ordinal);

        // DESIGN.md: file[i] Kind namespace/name: field.path: message
        var lines = result.StderrLines;
        Assert.Contains(lines, l => l.StartsWith($"{path}[3] VirtualService default/reviews: spec.http[1].route[0].destination.subset: ", StringComparison.Ordinal)
            && l.Contains("\"v3\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith($"{path}[4] VirtualService default/ratings: spec.http[0].match[0].headers.end-user.regex: ", StringComparison.Ordinal));
    }

    private const string HttpsGateway = """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata:
          name: tls-gateway
        spec:
          servers:
          - port: {number: 8443, name: https, protocol: HTTPS}
            hosts: ["*"]
            tls: TLS_SETTINGS
        """;

    [Fact]
    public async Task Validate_HttpsCertificateMissing_Exits1NamingFieldAndFile()
    {
        using var config = new TempConfig();
        var path = config.Write("gateway.yaml", HttpsGateway.Replace("TLS_SETTINGS", "{mode: SIMPLE, serverCertificate: certs/tls.crt, privateKey: certs/tls.key}", StringComparison.Ordinal));

        var result = await CliRunner.RunAsync("validate", "--config", path);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"{path}[0] Gateway default/tls-gateway: spec.servers[0].tls.serverCertificate: cannot load \"{Path.Combine(config.Root, "certs", "tls.crt")}\": no such file", result.StderrLines);
    }

    [Fact]
    public async Task Validate_CredentialNameInCredentialsDir_Exits0()
    {
        using var config = new TempConfig();
        var path = config.Write("gateway.yaml", HttpsGateway.Replace("TLS_SETTINGS", "{mode: SIMPLE, credentialName: gateway-cert}", StringComparison.Ordinal));
        var credentials = Path.Combine(config.Root, "secrets");
        Directory.CreateDirectory(Path.Combine(credentials, "gateway-cert"));
        using (var key = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            using var certificate = new CertificateRequest("CN=gateway.example.com", key, HashAlgorithmName.SHA256)
                .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            File.WriteAllText(Path.Combine(credentials, "gateway-cert", "tls.crt"), certificate.ExportCertificatePem());
            File.WriteAllText(Path.Combine(credentials, "gateway-cert", "tls.key"), key.ExportPkcs8PrivateKeyPem());
        }

        var withoutDir = await CliRunner.RunAsync("validate", "--config", path);
        var withDir = await CliRunner.RunAsync("validate", "--config", path, "--credentials-dir", credentials);

        Assert.Equal(1, withoutDir.ExitCode);
        Assert.Contains("spec.servers[0].tls.credentialName: credential \"gateway-cert\" cannot be read: no credentials directory is configured (--credentials-dir)", withoutDir.Stderr, StringComparison.Ordinal);
        Assert.True(withDir.ExitCode == 0, withDir.Stderr);
    }

    [Fact]
    public async Task Validate_MissingFile_Exits1NamingTheFile()
    {
        var result = await CliRunner.RunAsync("validate", "--config", "/nonexistent/proxy.yaml");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("/nonexistent/proxy.yaml", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("validate", "--config", "x.yaml", "--bogus")]
    [InlineData("run", "--config", "x.yaml", "--no-such-option")]
    public async Task UnknownOption_Exits2(params string[] args)
    {
        var result = await CliRunner.RunAsync(args);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("proxy:", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData]
    [InlineData("run")]
    [InlineData("validate")]
    [InlineData("run", "--admin", "off")]
    public async Task MissingConfig_Exits2(params string[] args)
    {
        var result = await CliRunner.RunAsync(args);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--config", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--listen-address", "not-an-ip")]
    [InlineData("--admin", "localhost")]
    [InlineData("--admin", "127.0.0.1:99999")]
    [InlineData("--drain-timeout", "soon")]
    [InlineData("--labels", "novalue")]
    [InlineData("--access-log-format", "xml")]
    [InlineData("--log-level", "loud")]
    public async Task BadValue_Exits2(string option, string value)
    {
        var result = await CliRunner.RunAsync("run", "--config", "x.yaml", option, value);

        Assert.Equal(2, result.ExitCode);
    }

    [Fact]
    public async Task Echo_BadListenAddress_Exits2()
    {
        var result = await CliRunner.RunAsync("echo", "--listen", "nowhere");

        Assert.Equal(2, result.ExitCode);
    }

    [Fact]
    public async Task Run_InvalidConfig_Exits1WithErrors()
    {
        using var config = new TempConfig();
        var path = config.Write("routes.yaml", TestYaml.Invalid);

        var result = await CliRunner.RunAsync("run", "--config", path, "--admin", "off");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"{path}[3] VirtualService default/reviews:", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_Exits0()
    {
        var result = await CliRunner.RunAsync("--help");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("validate", result.Stdout, StringComparison.Ordinal);
    }
}
