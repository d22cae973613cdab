using ClinicPortal.Infrastructure.Database;
using Npgsql;

namespace ClinicPortal.Infrastructure;

/// <summary>
/// A one-off command's transaction in one clinic, found by its slug, as the owner role with the clinic set (row-level
/// security applies as it does to the portal). Commit it to keep what the command wrote.
/// </summary>
public sealed class CommandClinic : IAsyncDisposable
{
    private CommandClinic(NpgsqlConnection conn, NpgsqlTransaction tx, Guid id, string country) => (Conn, Tx, Id, Country) = (conn, tx, id, country);

    public NpgsqlConnection Conn { get; }
    public NpgsqlTransaction Tx { get; }
    public Guid Id { get; }
    public string Country { get; }

    /// <summary>The clinic's transaction, or null after saying on standard error that there is no such clinic.</summary>
    public static async Task<CommandClinic?> OpenAsync(string ownerConnection, string slug)
    {
        var conn = new NpgsqlConnection(ownerConnection);
        await conn.OpenAsync();
        var tx = await conn.BeginTransactionAsync();
        var clinic = await conn.Command("select id, country from clinics where slug = @slug", tx).With("slug", slug)
            .FirstOrDefaultAsync(r => (Id: (Guid?)r.GetGuid(0), Country: r.GetString(1)));
        if (clinic.Id is not { } id)
        {
            Console.Error.WriteLine($"There is no clinic '{slug}'.");
            await tx.DisposeAsync();
            await conn.DisposeAsync();
            return null;
        }
        await conn.Command(ClinicDb.SetClinic, tx).With("clinic", id).RunAsync();
        return new CommandClinic(conn, tx, id, clinic.Country);
    }

    public Task CommitAsync() => Tx.CommitAsync();

    public async ValueTask DisposeAsync()
    {
        await Tx.DisposeAsync();
        await Conn.DisposeAsync();
    }
}
