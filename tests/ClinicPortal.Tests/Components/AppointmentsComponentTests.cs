using Bunit;
using ClinicPortal.Features.Appointments;
using ClinicPortal.Tests.Support;
using MudBlazor;

namespace ClinicPortal.Tests.Components;

[Collection(PortalCollection.Name)]
public sealed class AppointmentsComponentTests(ClinicPortalFactory portal)
{
    [Fact]
    public async Task The_grids_confirm_action_confirms_the_appointment_and_says_so()
    {
        var clinic = await portal.CreateClinicAsync();
        await clinic.BookAsync("dr-a", Dates.Upcoming(DayOfWeek.Monday), "10:00");
        await using var ctx = ComponentContext.For(portal, clinic);
        var dialogs = ctx.Render<MudDialogProvider>();
        var snackbars = ctx.Render<MudSnackbarProvider>();
        var cut = ctx.Render<AppointmentsPage>();
        cut.WaitForAssertion(() => Assert.Contains("Pat Test", cut.Find("[data-testid=appointments]").TextContent));

        // The grid renders again while it settles: click the button of the latest render.
        cut.WaitForAssertion(() => cut.FindAll("[data-testid=appointments] button").First(b => b.TextContent.Trim() == "Confirm").Click());
        dialogs.WaitForAssertion(() => Assert.Contains("Confirm Pat Test's appointment", dialogs.Markup)); // staff are asked first
        Assert.Equal(0, await clinic.CountAsync("appointments", "status = 'confirmed'"));
        dialogs.WaitForAssertion(() => dialogs.FindAll("button").First(b => b.TextContent.Trim() == "Confirm").Click());

        snackbars.WaitForAssertion(() => Assert.Contains("is now confirmed", snackbars.Markup));
        Assert.Equal(1, await clinic.CountAsync("appointments", "status = 'confirmed'"));
        Assert.Equal(1, await clinic.CountAsync("audit_log", "action = 'appointment.confirmed' and actor = 'staff:tester@example.com'"));
    }

    [Fact]
    public async Task Booking_with_fields_missing_names_each_one_and_books_nothing()
    {
        var clinic = await portal.CreateClinicAsync();
        await using var ctx = ComponentContext.For(portal, clinic);
        var cut = ctx.Render<AppointmentsPage>();
        cut.WaitForAssertion(() => cut.Find("input[data-testid=new-patient]"));

        cut.Find("input[data-testid=new-patient]").Change("Walk-in Wanda");
        cut.Find("[data-testid=book]").Click();

        cut.WaitForAssertion(() => Assert.Contains(
            "Not booked: choose a provider, a date and a time, and give the patient's phone.", cut.Find("[data-testid=outcome]").TextContent));
        Assert.Equal(0, await clinic.CountAsync("appointments", "true"));
    }

    [Fact]
    public async Task Reschedule_opens_a_dialog_for_that_appointment()
    {
        var clinic = await portal.CreateClinicAsync();
        await clinic.BookAsync("dr-a", Dates.Upcoming(DayOfWeek.Monday), "10:00");
        await using var ctx = ComponentContext.For(portal, clinic);
        var dialogs = ctx.Render<MudDialogProvider>();
        var cut = ctx.Render<AppointmentsPage>();
        cut.WaitForAssertion(() => Assert.Contains("Pat Test", cut.Find("[data-testid=appointments]").TextContent));

        cut.WaitForAssertion(() => cut.FindAll("button").First(b => b.TextContent.Trim() == "Reschedule").Click());

        dialogs.WaitForAssertion(() => Assert.Contains("Reschedule Pat Test", dialogs.Find("[data-testid=reschedule-panel]").TextContent));
    }
}
