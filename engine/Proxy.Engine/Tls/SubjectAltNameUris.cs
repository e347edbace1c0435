using System.Formats.Asn1;

namespace Proxy.Engine.Tls;

/// <summary>Reads the uniformResourceIdentifier entries ([6] IA5String) of a SubjectAltName extension.</summary>
internal static class SubjectAltNameUris
{
    private static readonly Asn1Tag UriTag = new(TagClass.ContextSpecific, 6);

    public static List<string> Read(byte[] rawData)
    {
        var uris = new List<string>();
        try
        {
            var reader = new AsnReader(rawData, AsnEncodingRules.DER);
            var names = reader.ReadSequence();
            while (names.HasData)
            {
                var tag = names.PeekTag();
                if (tag.HasSameClassAndValue(UriTag))
                {
                    uris.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, UriTag));
                }
                else
                {
                    names.ReadEncodedValue();
                }
            }
        }
        catch (AsnContentException)
        {
            // A malformed extension names nothing.
        }

        return uris;
    }
}
