using Bunit;
using ClinicPortal.Features.Procedures;
using ClinicPortal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace ClinicPortal.Tests.Components;

/// <summary>Prices reach the public pages and the voice agent: staff read the procedures, only admins change them.</summary>
[Collection(PortalCollection.Name)]
public sealed class ProceduresComponentTests(ClinicPortalFactory portal)
{
    [Fact]
    public async Task Staff_see_the_procedures_but_get_no_way_to_change_them()
    {
        var clinic = await portal.CreateClinicAsync();
        await using var ctx = ComponentContext.For(portal, clinic, "staff");
        ctx.Services.AddSingleton<ProcedureStore>();
        var page = ctx.Render<ProceduresPage>();
        page.WaitForAssertion(() => Assert.Contains("Liquid rhinoplasty", page.Markup));
        Assert.Empty(page.FindAll("[data-testid=new-procedure]"));
        page.WaitForAssertion(() => page.FindAll("tr").First(r => r.TextContent.Contains("Liquid rhinoplasty")).Click());
        Assert.Empty(page.FindAll("[data-testid=procedure-form]"));
        Assert.NotEmpty(page.FindAll("[data-testid=admins-edit]"));
    }

    [Fact]
    public async Task An_admin_opens_a_procedure_to_change_it()
    {
        var clinic = await portal.CreateClinicAsync();
        await using var ctx = ComponentContext.For(portal, clinic, "admin");
        ctx.Services.AddSingleton<ProcedureStore>();
        var page = ctx.Render<ProceduresPage>();
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=new-procedure]")));
        page.WaitForAssertion(() => page.FindAll("tr").First(r => r.TextContent.Contains("Liquid rhinoplasty")).Click());
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=procedure-form]")));
    }
}
