using Accountability.Console;
using Accountability.ServiceDefaults;

var builder = AccountabilityWebApplication.CreateBuilder(args);
builder.AddAccountabilityConsole();

var app = builder.Build();
app.UseAccountabilityConsole();

app.Run();
