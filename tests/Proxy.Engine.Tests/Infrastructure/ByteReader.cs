using System.Text;

namespace Proxy.Engine.Tests.Infrastructure;

/// <summary>A small buffered reader over a stream for test peers: heads, fixed and chunked bodies, raw bytes.</summary>
public sealed class ByteReader(Stream stream)
{
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    /// <summary>Reads through the blank line; null on a clean end of stream before any byte.</summary>
    public async Task<string?> ReadHeadAsync(CancellationToken cancellationToken = default)
    {
        var sb = new StringBuilder();
        while (true)
        {
            if (_start == _end && !await FillAsync(cancellationToken))
            {
                if (sb.Length == 0)
                {
                    return null;
                }

                throw new IOException("Stream ended inside a head: " + sb);
            }

            var c = (char)_buffer[_start++];
            sb.Append(c);
            if (c == '\n' && sb.Length >= 4 && sb[^2] == '\r' && sb[^3] == '\n' && sb[^4] == '\r')
            {
                return sb.ToString(0, sb.Length - 4);
            }
        }
    }

    public async Task<byte[]> ReadFixedAsync(long length, bool discard = false, Action<long>? counted = null, CancellationToken cancellationToken = default)
    {
        var result = discard ? null : new MemoryStream();
        var remaining = length;
        while (remaining > 0)
        {
            if (_start == _end && !await FillAsync(cancellationToken))
            {
                throw new IOException($"Stream ended with {remaining} body bytes missing.");
            }

            var take = (int)Math.Min(remaining, _end - _start);
            result?.Write(_buffer, _start, take);
            counted?.Invoke(take);
            _start += take;
            remaining -= take;
        }

        return result?.ToArray() ?? [];
    }

    public async Task<byte[]> ReadChunkedAsync(bool discard = false, Action<long>? counted = null, CancellationToken cancellationToken = default)
    {
        var result = discard ? null : new MemoryStream();
        while (true)
        {
            var line = await ReadLineAsync(cancellationToken);
            var semicolon = line.IndexOf(';', StringComparison.Ordinal);
            var size = Convert.ToInt64(semicolon >= 0 ? line[..semicolon] : line, 16);
            if (size == 0)
            {
                while ((await ReadLineAsync(cancellationToken)).Length > 0)
                {
                }

                return result?.ToArray() ?? [];
            }

            var data = await ReadFixedAsync(size, discard, counted, cancellationToken);
            result?.Write(data);
            if ((await ReadLineAsync(cancellationToken)).Length != 0)
            {
                throw new IOException("Chunk not followed by CRLF.");
            }
        }
    }

    /// <summary>Reads until the stream ends.</summary>
    public async Task<byte[]> ReadToEndAsync(CancellationToken cancellationToken = default)
    {
        var result = new MemoryStream();
        result.Write(_buffer, _start, _end - _start);
        _start = _end;
        await stream.CopyToAsync(result, cancellationToken);
        return result.ToArray();
    }

    /// <summary>Reads exactly <paramref name="count"/> raw bytes.</summary>
    public Task<byte[]> ReadExactlyAsync(int count, CancellationToken cancellationToken = default) => ReadFixedAsync(count, cancellationToken: cancellationToken);

    /// <summary>True when the peer closed (or reset) the stream with nothing more buffered.</summary>
    public async Task<bool> IsAtEndAsync(CancellationToken cancellationToken = default)
    {
        if (_start < _end)
        {
            return false;
        }

        try
        {
            return !await FillAsync(cancellationToken);
        }
        catch (IOException)
        {
            return true;
        }
    }

    private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        var sb = new StringBuilder();
        while (true)
        {
            if (_start == _end && !await FillAsync(cancellationToken))
            {
                throw new IOException("Stream ended inside a line.");
            }

            var c = (char)_buffer[_start++];
            if (c == '\n' && sb.Length > 0 && sb[^1] == '\r')
            {
                return sb.ToString(0, sb.Length - 1);
            }

            sb.Append(c);
        }
    }

    private async Task<bool> FillAsync(CancellationToken cancellationToken)
    {
        _start = 0;
        _end = await stream.ReadAsync(_buffer, cancellationToken);
        return _end > 0;
    }
}
