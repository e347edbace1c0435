using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Proxy.Istio.Loading;

/// <summary>
/// Splits a multi-document file at its <c>---</c> markers and parses each document on its own, so a syntax error in
/// one document is reported with its document index and line and does not hide the errors of the others.
/// </summary>
/// <remarks>
/// Splitting on a line that starts with <c>---</c> is exact, not a heuristic: YAML 1.2 (section 9.1.2) makes a
/// document marker at column 0 end any block or flow content, so such a line can never be inside a document.
/// Document indices count the same way a YAML stream does: the text before the first marker is document 0 only when
/// it holds content, and every marker starts a document (empty ones are skipped, as kubectl does).
/// </remarks>
internal static class YamlDocumentReader
{
    public static List<ParsedDocument> Read(IstioSource source, Diagnostics diagnostics)
    {
        var documents = new List<ParsedDocument>();
        var index = 0;
        foreach (var (text, firstLine, explicitStart) in Split(source.Text))
        {
            if (!explicitStart && IsBlank(text))
            {
                continue;
            }

            var docIndex = index++;
            if (IsBlank(StripMarker(text)))
            {
                continue;
            }

            try
            {
                var stream = new YamlStream();
                stream.Load(new StringReader(text));
                if (stream.Documents.Count == 0)
                {
                    continue;
                }

                var root = stream.Documents[0].RootNode;
                if (root is YamlScalarNode { Value: null or "" or "~" or "null" })
                {
                    continue;
                }

                documents.Add(new ParsedDocument(source.Path, docIndex, root, source.BaseDirectory));
            }
            catch (YamlException ex)
            {
                var line = ex.Start.Line > 0 ? ex.Start.Line + firstLine - 1 : firstLine;
                var message = ex.InnerException is { } inner && inner.Message.Length > 0 ? ex.Message + " " + inner.Message : ex.Message;
                diagnostics.Error(new SourceLocation(source.Path, docIndex, null), string.Empty,
                    $"YAML syntax error at line {line}, column {ex.Start.Column}: {Trim(message)}");
            }
        }

        return documents;
    }

    private static string Trim(string message)
    {
        // YamlDotNet prefixes "(Line: 3, Col: 5, Idx: 20) - (Line: ...): "; the position is already stated.
        var marker = message.IndexOf("): ", StringComparison.Ordinal);
        return message.StartsWith("(Line:", StringComparison.Ordinal) && marker > 0 ? message[(marker + 3)..] : message;
    }

    private static string StripMarker(string text)
    {
        if (!text.StartsWith("---", StringComparison.Ordinal))
        {
            return text;
        }

        var newline = text.IndexOf('\n', StringComparison.Ordinal);
        var rest = newline < 0 ? string.Empty : text[(newline + 1)..];
        var markerLine = newline < 0 ? text[3..] : text[3..newline];
        return markerLine + "\n" + rest;
    }

    private static bool IsBlank(string text)
    {
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            var trimmed = line.Trim();
            if (trimmed.Length > 0 && trimmed[0] != '#' && !trimmed.SequenceEqual("...") && !trimmed.StartsWith("%"))
            {
                return false;
            }
        }

        return true;
    }

    private static IEnumerable<(string Text, int FirstLine, bool ExplicitStart)> Split(string text)
    {
        var current = new StringBuilder();
        var firstLine = 1;
        var lineNumber = 0;
        var explicitStart = false;
        using var reader = new StringReader(text);
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (IsDocumentStart(line))
            {
                if (current.Length > 0 || explicitStart)
                {
                    yield return (current.ToString(), firstLine, explicitStart);
                }

                current.Clear();
                firstLine = lineNumber;
                explicitStart = true;
            }

            current.Append(line).Append('\n');
        }

        if (current.Length > 0 || explicitStart)
        {
            yield return (current.ToString(), firstLine, explicitStart);
        }
    }

    private static bool IsDocumentStart(string line) =>
        line.StartsWith("---", StringComparison.Ordinal) && (line.Length == 3 || line[3] is ' ' or '\t');
}
