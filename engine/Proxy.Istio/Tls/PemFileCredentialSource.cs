using System.Diagnostics.CodeAnalysis;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Proxy.Engine.Config;

namespace Proxy.Istio.Tls;

/// <summary>
/// Certificate material read from PEM files, reloaded when the files change: what Envoy gets from SDS for an Istio
/// gateway, for certificates mounted from a Kubernetes secret or rotated by cert-manager on a VM.
/// </summary>
/// <remarks>
/// <para>The engine calls <see cref="GetCredentials"/> on every handshake. At most once per
/// <see cref="CheckInterval"/> one caller stats the files (last write time and length of the final symlink target,
/// so a Kubernetes <c>..data</c> symlink swap is noticed like an in-place write) and reloads when they differ from the
/// stamps taken before the current material was read. Everyone else, and that caller too, gets the current material
/// without waiting or locking.</para>
/// <para>New files that do not load (half-written, mismatched key and certificate) leave the last good material in
/// service; the next check retries. <see cref="GetCredentials"/> never throws.</para>
/// </remarks>
internal sealed class PemFileCredentialSource : ITlsCredentialSource
{
    /// <summary>Kubelet refreshes mounted secrets about once a minute; a one-second check picks a rotation up
    /// promptly for a few stat calls per second at most.</summary>
    public static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);

    private readonly TimeProvider _timeProvider;
    private volatile Snapshot _current;
    private long _nextCheckTicks;
    private int _checking;
    private volatile PemLoadError? _lastError;
    private int _reloadCount;

    private PemFileCredentialSource(PemFiles files, TimeProvider timeProvider, Snapshot initial)
    {
        Files = files;
        _timeProvider = timeProvider;
        _current = initial;
        _nextCheckTicks = timeProvider.GetUtcNow().UtcTicks + CheckInterval.Ticks;
    }

    public PemFiles Files { get; }

    /// <summary>Why the last reload attempt failed; null once a reload succeeds (diagnostics and tests).</summary>
    public PemLoadError? LastError => _lastError;

    /// <summary>How many times changed files were loaded successfully after creation.</summary>
    public int ReloadCount => Volatile.Read(ref _reloadCount);

    /// <summary>Loads the files now; a file that is missing or does not parse is an error, as at config load.</summary>
    public static bool TryCreate(PemFiles files, TimeProvider timeProvider,
        [NotNullWhen(true)] out PemFileCredentialSource? source, [NotNullWhen(false)] out PemLoadError? error)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(timeProvider);
        if (Load(files, out var loadError) is { } snapshot)
        {
            source = new PemFileCredentialSource(files, timeProvider, snapshot);
            error = null;
            return true;
        }

        source = null;
        error = loadError!;
        return false;
    }

    public TlsCredentials GetCredentials()
    {
        var now = _timeProvider.GetUtcNow().UtcTicks;
        if (now >= Volatile.Read(ref _nextCheckTicks) && Interlocked.CompareExchange(ref _checking, 1, 0) == 0)
        {
            try
            {
                Volatile.Write(ref _nextCheckTicks, now + CheckInterval.Ticks);
                ReloadIfChanged();
            }
            finally
            {
                Volatile.Write(ref _checking, 0);
            }
        }

        return _current.Credentials;
    }

    private void ReloadIfChanged()
    {
        try
        {
            if (Stamp(Files).SequenceEqual(_current.Stamps))
            {
                return;
            }

            if (Load(Files, out var error) is { } snapshot)
            {
                _current = snapshot;
                _lastError = null;
                Interlocked.Increment(ref _reloadCount);
            }
            else
            {
                _lastError = error;
            }
        }
#pragma warning disable CA1031 // A handshake must never fail because a reload hit something unexpected; the old material stays.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _lastError = new PemLoadError(PemFileRole.CertificateChain, Files.Paths.First(), ex.Message);
        }
    }

    /// <summary>Stamps first, then contents: a write racing the read leaves stamps that differ from the files, so the
    /// next check loads again.</summary>
    private static Snapshot? Load(PemFiles files, out PemLoadError? error)
    {
        var stamps = Stamp(files);
        SslStreamCertificateContext? certificate = null;
        if (files.CertificateChain is { } chainPath)
        {
            if (!TryLoadChain(chainPath, files.PrivateKey!, out certificate, out error))
            {
                return null;
            }
        }

        X509Certificate2Collection? authorities = null;
        if (files.CertificateAuthorities is { } caPath)
        {
            authorities = [];
            if (!TryImport(authorities, caPath, PemFileRole.CertificateAuthorities, out error))
            {
                return null;
            }
        }

        error = null;
        return new Snapshot(new TlsCredentials { Certificate = certificate, TrustedAuthorities = authorities }, stamps);
    }

    private static bool TryLoadChain(string chainPath, string keyPath, out SslStreamCertificateContext? context, out PemLoadError? error)
    {
        context = null;
        var chain = new X509Certificate2Collection();
        if (!TryImport(chain, chainPath, PemFileRole.CertificateChain, out error))
        {
            return false;
        }

        X509Certificate2 leaf;
        try
        {
            // The first certificate of the chain file with the key whose algorithm matches its public key.
            leaf = X509Certificate2.CreateFromPemFile(chainPath, keyPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error = new PemLoadError(PemFileRole.PrivateKey, keyPath, Describe(ex));
            return false;
        }
        catch (ArgumentException)
        {
            // A well-formed key of the right algorithm that belongs to another certificate.
            error = new PemLoadError(PemFileRole.PrivateKey, keyPath, $"the private key does not belong to the certificate in \"{chainPath}\"");
            return false;
        }
        catch (CryptographicException ex)
        {
            error = new PemLoadError(PemFileRole.PrivateKey, keyPath,
                $"no unencrypted PEM private key for the certificate in \"{chainPath}\" ({ex.Message.TrimEnd('.')})");
            return false;
        }

        try
        {
            // offline: never fetch missing intermediates over the network while loading config or handshaking.
            context = SslStreamCertificateContext.Create(leaf, new X509Certificate2Collection(chain.Skip(1).ToArray()), offline: true);
            return true;
        }
        catch (CryptographicException ex)
        {
            error = new PemLoadError(PemFileRole.CertificateChain, chainPath, ex.Message);
            return false;
        }
    }

    private static bool TryImport(X509Certificate2Collection into, string path, PemFileRole role, out PemLoadError? error)
    {
        try
        {
            into.ImportFromPemFile(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            error = new PemLoadError(role, path, Describe(ex));
            return false;
        }

        if (into.Count == 0)
        {
            error = new PemLoadError(role, path, "no PEM certificate (-----BEGIN CERTIFICATE-----) found");
            return false;
        }

        error = null;
        return true;
    }

    private static string Describe(Exception ex) => ex switch
    {
        FileNotFoundException or DirectoryNotFoundException => "no such file",
        UnauthorizedAccessException => "permission denied",
        _ => ex.Message,
    };

    private static FileStamp[] Stamp(PemFiles files) => [.. files.Paths.Select(Stamp)];

    /// <summary>
    /// Last write time and length of the file a path finally names, following symlinks (FileInfo on a symlink
    /// describes the link itself), and where its directory's symlink points: a Kubernetes secret's <c>tls.crt</c>
    /// links to <c>..data/tls.crt</c> and kubelet swaps <c>..data</c> to a new timestamped directory, which changes the
    /// stamp even if the new file had the same size and time.
    /// </summary>
    private static FileStamp Stamp(string path)
    {
        try
        {
            var target = File.ResolveLinkTarget(path, returnFinalTarget: true)?.FullName ?? path;
            var directory = Path.GetDirectoryName(target);
            var directoryTarget = directory is null ? null : Directory.ResolveLinkTarget(directory, returnFinalTarget: true)?.FullName;
            var info = new FileInfo(target);
            return info.Exists
                ? new FileStamp(target, directoryTarget, info.LastWriteTimeUtc, info.Length)
                : new FileStamp(target, directoryTarget, default, -1);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new FileStamp(path, null, default, -1);
        }
    }

    private readonly record struct FileStamp(string Path, string? DirectoryTarget, DateTime LastWriteUtc, long Length);

    private sealed record Snapshot(TlsCredentials Credentials, FileStamp[] Stamps);
}
