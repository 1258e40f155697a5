using Accountability.Console.SignIn;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Accountability.Console.Pages;

/// <summary>The front door: the public see their options; staff go straight to the page of their role.</summary>
public sealed class IndexModel : PageModel
{
    public IActionResult OnGet()
    {
        if (User.Identity?.IsAuthenticated != true)
            return Page();
        bool Has(string[] roles) => roles.Any(User.IsInRole);
        // A clerk's day is taking complaints on the phone and at the counter: the form is their page.
        if (User.IsInRole(Accountability.ServiceDefaults.Security.Roles.IntakeClerk)) return Redirect("/intake/new");
        if (Has(ConsoleUser.BoardRoles)) return Redirect("/board");
        if (Has(ConsoleUser.InboxRoles)) return Redirect("/inbox");
        if (Has(ConsoleUser.AuditorRoles)) return Redirect("/audit");
        return Page();
    }
}
