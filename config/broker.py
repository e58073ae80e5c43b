"""The embedded broker: kombu's filesystem transport, with whole-file writes.

kombu writes each message straight into the queue folder, so a worker polling
the folder can pick up a file that is still empty and fail to parse it. Here
a message is written under a hidden name that no queue matches, then renamed
into place, which the operating system does in one step.
"""

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = "%d_%s.%s.msg" % (round(monotonic() * 1000), uuid.uuid4(), queue)
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, ".partial-%s" % uuid.uuid4())
        try:
            with open(partial, "wb") as handle:
                handle.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError("Cannot add a message to %s" % final) from exc


class Transport(filesystem.Transport):
    Channel = Channel
