using Microsoft.Extensions.Time.Testing;
using Proxy.Istio.Tls;

namespace Proxy.Istio.Tests.Tls;

public sealed class PemFileCredentialSourceTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    public void Dispose() => _dir.Dispose();

    private PemFiles Files(string directory = "cred", bool ca = true) =>
        new(_dir.PathOf($"{directory}/tls.crt"), _dir.PathOf($"{directory}/tls.key"), ca ? _dir.PathOf($"{directory}/ca.crt") : null);

    private PemFileCredentialSource Create(PemFiles files)
    {
        Assert.True(PemFileCredentialSource.TryCreate(files, _time, out var source, out var error), error?.ToString());
        return source;
    }

    [Theory]
    [InlineData(TestKeyType.EcdsaP256)]
    [InlineData(TestKeyType.Rsa2048)]
    public void TryCreate_ChainKeyAndCa_LeafWithKeyAndAuthorities(TestKeyType keyType)
    {
        var leaf = _dir.WriteCredential("cred", keyType: keyType);

        var credentials = Create(Files()).GetCredentials();

        var target = credentials.Certificate!.TargetCertificate;
        Assert.Equal(leaf.Thumbprint, target.Thumbprint);
        Assert.True(target.HasPrivateKey);
        Assert.Equal("CN=Test CA", Assert.Single(credentials.TrustedAuthorities!).Subject);
    }

    [Fact]
    public void TryCreate_CaBundleOnly_AuthoritiesWithoutCertificate()
    {
        var first = TestCertificates.CreateCa("First CA");
        var second = TestCertificates.CreateCa("Second CA");
        var bundle = _dir.Write("bundle.pem", first.CertificatePem + "\n" + second.CertificatePem);

        var credentials = Create(new PemFiles(null, null, bundle)).GetCredentials();

        Assert.Null(credentials.Certificate);
        Assert.Equal(["CN=First CA", "CN=Second CA"], credentials.TrustedAuthorities!.Select(c => c.Subject));
    }

    [Fact]
    public void TryCreate_CombinedCertificateAndKeyFile_Loads()
    {
        var ca = TestCertificates.CreateCa();
        var leaf = TestCertificates.Issue(ca, "a.example.com");
        var path = _dir.Write("combined.pem", leaf.CertificatePem + "\n" + leaf.PrivateKeyPem);

        var credentials = Create(new PemFiles(path, path, null)).GetCredentials();

        Assert.Equal(leaf.Thumbprint, credentials.Certificate!.TargetCertificate.Thumbprint);
    }

    [Fact]
    public void TryCreate_MissingCertificate_ErrorNamesTheFile()
    {
        var files = Files();

        Assert.False(PemFileCredentialSource.TryCreate(files, _time, out _, out var error));

        Assert.Equal(PemFileRole.CertificateChain, error.Role);
        Assert.Equal($"cannot load \"{files.CertificateChain}\": no such file", error.ToString());
    }

    [Fact]
    public void TryCreate_KeyFileWithoutKey_ErrorOnPrivateKey()
    {
        var leaf = _dir.WriteCredential("cred");
        _dir.Write("cred/tls.key", leaf.CertificatePem);

        Assert.False(PemFileCredentialSource.TryCreate(Files(), _time, out _, out var error));

        Assert.Equal(PemFileRole.PrivateKey, error.Role);
        Assert.StartsWith($"no unencrypted PEM private key for the certificate in \"{Files().CertificateChain}\" (", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void TryCreate_MissingKey_ErrorOnPrivateKey()
    {
        _dir.WriteCredential("cred");
        File.Delete(_dir.PathOf("cred/tls.key"));

        Assert.False(PemFileCredentialSource.TryCreate(Files(), _time, out _, out var error));

        Assert.Equal(PemFileRole.PrivateKey, error.Role);
        Assert.Equal("no such file", error.Reason);
    }

    [Fact]
    public void TryCreate_KeyOfAnotherCertificate_ErrorOnPrivateKey()
    {
        _dir.WriteCredential("cred");
        _dir.WriteCredential("other");
        File.Copy(_dir.PathOf("other/tls.key"), _dir.PathOf("cred/tls.key"), overwrite: true);

        Assert.False(PemFileCredentialSource.TryCreate(Files(), _time, out _, out var error));

        Assert.Equal(PemFileRole.PrivateKey, error.Role);
        Assert.Equal($"the private key does not belong to the certificate in \"{Files().CertificateChain}\"", error.Reason);
    }

    [Theory]
    [InlineData("tls.crt")]
    [InlineData("ca.crt")]
    public void TryCreate_NotPem_ErrorNamesTheFile(string file)
    {
        var role = file == "ca.crt" ? PemFileRole.CertificateAuthorities : PemFileRole.CertificateChain;
        _dir.WriteCredential("cred");
        _dir.Write("cred/" + file, "not a certificate");

        Assert.False(PemFileCredentialSource.TryCreate(Files(), _time, out _, out var error));

        Assert.Equal(role, error.Role);
        Assert.Equal(_dir.PathOf("cred/" + file), error.File);
        Assert.Equal("no PEM certificate (-----BEGIN CERTIFICATE-----) found", error.Reason);
    }

    [Fact]
    public void GetCredentials_FilesRewritten_NewCertificateAfterCheckInterval()
    {
        _dir.WriteCredential("cred", "a.example.com");
        var source = Create(Files());
        var first = source.GetCredentials().Certificate!.TargetCertificate.Thumbprint;

        var second = _dir.WriteCredential("cred", "b.example.com", TestKeyType.Rsa2048);

        Assert.Equal(first, source.GetCredentials().Certificate!.TargetCertificate.Thumbprint);
        _time.Advance(PemFileCredentialSource.CheckInterval);
        Assert.Equal(second.Thumbprint, source.GetCredentials().Certificate!.TargetCertificate.Thumbprint);
        Assert.Equal(1, source.ReloadCount);
    }

    [Fact]
    public void GetCredentials_FilesUnchanged_NoReload()
    {
        _dir.WriteCredential("cred");
        var source = Create(Files());
        var credentials = source.GetCredentials();

        for (var i = 0; i < 3; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(5));
            Assert.Same(credentials, source.GetCredentials());
        }

        Assert.Equal(0, source.ReloadCount);
    }

    [Fact]
    public void GetCredentials_HalfWrittenFiles_KeepsLastGoodAndRetries()
    {
        var good = _dir.WriteCredential("cred", "a.example.com");
        var source = Create(Files());

        // A rotation caught half-way: the new certificate is cut short and the key is not written yet.
        var next = TestCertificates.Issue(TestCertificates.CreateCa(), "b.example.com");
        _dir.Write("cred/tls.crt", next.CertificatePem[..(next.CertificatePem.Length / 2)]);
        _time.Advance(PemFileCredentialSource.CheckInterval);

        Assert.Equal(good.Thumbprint, source.GetCredentials().Certificate!.TargetCertificate.Thumbprint);
        Assert.NotNull(source.LastError);

        _dir.Write("cred/tls.crt", next.CertificatePem);
        _time.Advance(PemFileCredentialSource.CheckInterval);
        Assert.Equal(good.Thumbprint, source.GetCredentials().Certificate!.TargetCertificate.Thumbprint);
        Assert.Equal(PemFileRole.PrivateKey, source.LastError!.Role);

        _dir.Write("cred/tls.key", next.PrivateKeyPem);
        _time.Advance(PemFileCredentialSource.CheckInterval);
        Assert.Equal(next.Thumbprint, source.GetCredentials().Certificate!.TargetCertificate.Thumbprint);
        Assert.Null(source.LastError);
    }

    [Fact]
    public void GetCredentials_FilesDeleted_KeepsLastGood()
    {
        var good = _dir.WriteCredential("cred");
        var source = Create(Files());

        Directory.Delete(_dir.PathOf("cred"), recursive: true);
        _time.Advance(PemFileCredentialSource.CheckInterval);

        Assert.Equal(good.Thumbprint, source.GetCredentials().Certificate!.TargetCertificate.Thumbprint);
        Assert.Equal("no such file", source.LastError!.Reason);
    }

    [Fact]
    public void GetCredentials_KubernetesSymlinkSwap_NewCertificate()
    {
        // A mounted secret: tls.crt -> ..data/tls.crt, ..data -> ..2026_v1; kubelet writes ..2026_v2 and swaps ..data.
        var ca = TestCertificates.CreateCa();
        var first = _dir.WriteCredential("secret/..2026_v1", "a.example.com", ca: ca);
        var second = _dir.WriteCredential("secret/..2026_v2", "b.example.com", ca: ca);
        Directory.CreateSymbolicLink(_dir.PathOf("secret/..data"), "..2026_v1");
        foreach (var name in new[] { "tls.crt", "tls.key", "ca.crt" })
        {
            File.CreateSymbolicLink(_dir.PathOf("secret/" + name), "..data/" + name);
        }

        var source = Create(Files("secret"));
        Assert.Equal(first.Thumbprint, source.GetCredentials().Certificate!.TargetCertificate.Thumbprint);

        Directory.Delete(_dir.PathOf("secret/..data"));
        Directory.CreateSymbolicLink(_dir.PathOf("secret/..data"), "..2026_v2");
        _time.Advance(PemFileCredentialSource.CheckInterval);

        Assert.Equal(second.Thumbprint, source.GetCredentials().Certificate!.TargetCertificate.Thumbprint);
    }

    [Fact]
    public void GetCredentials_SymlinkSwapToFilesOfSameSizeAndTime_StillNoticed()
    {
        // The swap alone must count: here the new directory's files have the old files' size and modification time.
        var ca = TestCertificates.CreateCa();
        var first = _dir.WriteCredential("secret/..v1", "a.example.com", ca: ca);
        var second = _dir.WriteCredential("secret/..v2", "b.example.com", ca: ca);
        foreach (var name in new[] { "tls.crt", "tls.key", "ca.crt" })
        {
            // Signatures vary in length; trailing newlines, which PEM ignores, even the sizes out.
            var (a, b) = (_dir.PathOf("secret/..v1/" + name), _dir.PathOf("secret/..v2/" + name));
            var (lengthA, lengthB) = (new FileInfo(a).Length, new FileInfo(b).Length);
            File.AppendAllText(lengthA < lengthB ? a : b, new string('\n', (int)Math.Abs(lengthA - lengthB)));
            Assert.Equal(new FileInfo(a).Length, new FileInfo(b).Length);
            File.SetLastWriteTimeUtc(_dir.PathOf("secret/..v2/" + name), File.GetLastWriteTimeUtc(_dir.PathOf("secret/..v1/" + name)));
            File.CreateSymbolicLink(_dir.PathOf("secret/" + name), "..data/" + name);
        }

        Directory.CreateSymbolicLink(_dir.PathOf("secret/..data"), "..v1");
        var source = Create(Files("secret"));

        Directory.Delete(_dir.PathOf("secret/..data"));
        Directory.CreateSymbolicLink(_dir.PathOf("secret/..data"), "..v2");
        _time.Advance(PemFileCredentialSource.CheckInterval);

        Assert.NotEqual(first.Thumbprint, second.Thumbprint);
        Assert.Equal(second.Thumbprint, source.GetCredentials().Certificate!.TargetCertificate.Thumbprint);
    }

    [Fact]
    public void GetCredentials_FileSymlinkRetargeted_NewCertificate()
    {
        var first = _dir.WriteCredential("v1", "a.example.com", caName: null);
        var second = _dir.WriteCredential("v2", "b.example.com", caName: null);
        File.CreateSymbolicLink(_dir.PathOf("tls.crt"), _dir.PathOf("v1/tls.crt"));
        File.CreateSymbolicLink(_dir.PathOf("tls.key"), _dir.PathOf("v1/tls.key"));
        var source = Create(new PemFiles(_dir.PathOf("tls.crt"), _dir.PathOf("tls.key"), null));

        foreach (var name in new[] { "tls.crt", "tls.key" })
        {
            File.CreateSymbolicLink(_dir.PathOf(name + ".tmp"), _dir.PathOf("v2/" + name));
            File.Move(_dir.PathOf(name + ".tmp"), _dir.PathOf(name), overwrite: true);
        }

        _time.Advance(PemFileCredentialSource.CheckInterval);

        Assert.NotEqual(first.Thumbprint, second.Thumbprint);
        Assert.Equal(second.Thumbprint, source.GetCredentials().Certificate!.TargetCertificate.Thumbprint);
    }

    [Fact]
    public async Task GetCredentials_ManyCallersWhileFilesChange_NeverThrowsNorReturnsNothing()
    {
        _dir.WriteCredential("cred");
        var source = Create(Files());
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));

        var writer = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                _dir.WriteCredential("cred");
                _time.Advance(PemFileCredentialSource.CheckInterval);
            }
        });
        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                Assert.NotNull(source.GetCredentials().Certificate);
            }
        })).ToArray();

        await Task.WhenAll([writer, .. readers]).WaitAsync(TimeSpan.FromSeconds(30));
    }
}
