using System;

namespace Murder.Core.Storage;

/// <summary>One tar entry's header with PAX and GNU long-name records applied.</summary>
internal sealed record TarEntryHeader(string Name, char TypeFlag, long Size, int Mode, DateTimeOffset ModificationTime, string LinkName);
