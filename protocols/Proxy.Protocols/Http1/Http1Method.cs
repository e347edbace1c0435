namespace Proxy.Protocols.Http1;

/// <summary>Request methods recognised without allocating; anything else is <see cref="Custom"/> and keeps its token.</summary>
public enum Http1Method : byte
{
    Custom = 0,
    Get,
    Head,
    Post,
    Put,
    Delete,
    Connect,
    Options,
    Trace,
    Patch,
}
