using ClinicPortal.Infrastructure.Database;
using ClinicPortal.Tests.Support;
using Npgsql;

namespace ClinicPortal.Tests.Security;

[Collection(PortalCollection.Name)]
public sealed class DatabaseHardeningTests(ClinicPortalFactory portal)
{
    [Fact]
    public async Task Every_security_definer_function_pins_its_search_path_with_pg_temp_last()
    {
        await using var su = portal.Superuser();
        var definers = await su.Sql("""
            select p.oid::regprocedure::text, coalesce(array_to_string(p.proconfig, ','), '')
              from pg_proc p join pg_namespace n on n.oid = p.pronamespace
             where n.nspname = 'public' and p.prosecdef
            """).ListAsync(r => (Name: r.GetString(0), Config: r.GetString(1)));
        Assert.True(definers.Count >= 10, $"expected the portal's SECURITY DEFINER functions, found {definers.Count}");
        Assert.All(definers, f => Assert.Contains("search_path=public, pg_temp", f.Config));
    }

    [Theory]
    [InlineData("create table public.planted (id int)")]
    [InlineData("create function public.planted() returns int language sql as 'select 1'")]
    [InlineData("create temporary table planted (id int)")]
    public async Task The_runtime_role_cannot_create_tables_functions_or_temporary_objects(string sql)
    {
        await using var app = new NpgsqlConnection(portal.Database.AppConnectionString);
        var refused = await Assert.ThrowsAsync<PostgresException>(() => app.ExecAsync(sql));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
    }
}
