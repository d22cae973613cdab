using System.Threading.Channels;

namespace ClinicPortal.Features.Events;

/// <summary>
/// In-process "something committed" flag. Writers call Signal() after their commit; each background
/// reader (the NOTIFY wake-up, the audit sealer) sees at most one pending signal however many came,
/// which is what coalesces them.
/// </summary>
public sealed class CommitSignal
{
    private readonly List<Channel<bool>> _readers = [];

    public ChannelReader<bool> Subscribe()
    {
        var channel = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        lock (_readers) _readers.Add(channel);
        return channel.Reader;
    }

    public void Signal()
    {
        lock (_readers)
            foreach (var r in _readers) r.Writer.TryWrite(true);
    }
}
