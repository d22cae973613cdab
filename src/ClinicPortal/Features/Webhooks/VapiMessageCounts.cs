using System.Collections.Concurrent;

namespace ClinicPortal.Features.Webhooks;

/// <summary>
/// How many of each observe-only Vapi message (speech updates, conversation updates, model output, ...) this instance has
/// answered. They arrive many times a call and carry nothing the portal keeps, so they are counted, never written.
/// </summary>
public sealed class VapiMessageCounts
{
    private readonly ConcurrentDictionary<string, long> _observed = new();

    public void Observed(string type) => _observed.AddOrUpdate(type, 1, (_, n) => n + 1);

    public IReadOnlyDictionary<string, long> Snapshot() => new Dictionary<string, long>(_observed);
}
