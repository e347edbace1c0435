using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Proxy.Engine.Tls;

/// <summary>Certificate checks shared by termination (client certificates) and origination (server certificates).</summary>
internal static class TlsPolicies
{
    /// <summary>The TLS 1.3 suites, always allowed next to configured TLS 1.2 suites (Envoy's cipher_suites only
    /// constrains TLS 1.2 and below).</summary>
    private static readonly TlsCipherSuite[] Tls13Suites =
    [
        TlsCipherSuite.TLS_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256,
    ];

    public static CipherSuitesPolicy? CreateCipherPolicy(IReadOnlyList<TlsCipherSuite>? suites)
    {
        // Windows (SChannel) takes cipher suites from the OS policy only.
        if (suites is null || suites.Count == 0 || OperatingSystem.IsWindows())
        {
            return null;
        }

        var all = new List<TlsCipherSuite>(suites.Count + Tls13Suites.Length);
        all.AddRange(suites);
        foreach (var suite in Tls13Suites)
        {
            if (!all.Contains(suite))
            {
                all.Add(suite);
            }
        }

        return new CipherSuitesPolicy(all);
    }

    /// <summary>A chain policy that trusts exactly <paramref name="authorities"/> (no OS roots, no revocation fetch).</summary>
    public static X509ChainPolicy CreateCustomTrustPolicy(X509Certificate2Collection authorities)
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        policy.CustomTrustStore.AddRange(authorities);
        return policy;
    }

    /// <summary>
    /// Whether <paramref name="certificate"/> carries one of <paramref name="names"/> as a DNS (case-insensitive, with
    /// the certificate's left-most wildcard honoured), URI or IP subject alternative name. Istio compiles
    /// subjectAltNames to exact matches.
    /// </summary>
    public static bool HasSubjectAltName(X509Certificate2 certificate, IReadOnlyList<string> names)
    {
        foreach (var extension in certificate.Extensions)
        {
            if (extension is not X509SubjectAlternativeNameExtension san)
            {
                continue;
            }

            foreach (var dns in san.EnumerateDnsNames())
            {
                foreach (var name in names)
                {
                    if (DnsNameMatches(dns, name))
                    {
                        return true;
                    }
                }
            }

            foreach (var ip in san.EnumerateIPAddresses())
            {
                foreach (var name in names)
                {
                    if (IPAddress.TryParse(name, out var wanted) && wanted.Equals(ip))
                    {
                        return true;
                    }
                }
            }

            // URIs (SPIFFE identities) are not exposed by the typed extension; read them from the raw encoding.
            foreach (var uri in SubjectAltNameUris.Read(san.RawData))
            {
                foreach (var name in names)
                {
                    if (string.Equals(uri, name, StringComparison.Ordinal))
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    private static bool DnsNameMatches(string certificateName, string wanted)
    {
        if (string.Equals(certificateName, wanted, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        // *.example.com in the certificate covers exactly one label: a.example.com, not example.com or a.b.example.com.
        if (certificateName.StartsWith("*.", StringComparison.Ordinal))
        {
            var dot = wanted.IndexOf('.', StringComparison.Ordinal);
            return dot > 0 && string.Equals(certificateName[1..], wanted[dot..], StringComparison.OrdinalIgnoreCase);
        }

        return false;
    }
}
