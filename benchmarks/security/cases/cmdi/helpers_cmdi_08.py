"""Command lines for the media tools."""


def transcode_command(source, fmt):
    return "ffmpeg -y -i /srv/media/" + source + " /srv/media/out." + fmt
