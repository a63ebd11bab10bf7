#!/bin/sh
# Regenerates the pre-encoded media shipped with tunerbridge (run from anywhere; needs ffmpeg with
# libx264, libfreetype and the DejaVu fonts). Outputs are committed, so this runs only when the
# clips change. Re-running overwrites them.
#
#   assets/demo/<id>.mpegts                 3 built-in demo channels, 8 s loops, 1280x720 25 fps
#   assets/slate/unavailable-<h>.mpegts     "Channel unavailable" slate, 2 s, h = 720, 1080, 576
#   assets/slate/busy-720.mpegts            "All tuners are in use" slate, 2 s
#   test/fixtures/alt-pids.mpegts           640x360 H.264/AAC, PIDs 0x300/0x301, PMT 0x1100, t ≈ 50000 s
#   test/fixtures/mpeg2.mpegts              MPEG-2 video + MP2 audio, 2 s (codec-change tests)
#
# The extension is .mpegts, not .ts: TypeScript, ESLint and Prettier would take .ts files for source.
#
# Every clip: H.264 (high, yuv420p) + AAC-LC stereo 48 kHz in MPEG-TS, 1 s GOP without scene cuts,
# PMT 0x1000, video 0x100, audio 0x101 (ffmpeg's defaults, the splicer's output layout).
# Loop-friendly: durations are whole seconds, so 25 fps video and 1024-sample AAC frames
# (8 s = 375 frames) both end exactly on the loop point, and tone frequencies complete whole
# cycles. `-pes_payload_size 0` puts each audio frame in its own PES, so the looping source can
# drop exactly the AAC priming frame that overlaps the previous loop's last frame.
#
# The exact command for each file is the `ffmpeg` line below with the variables expanded.
set -eu
cd "$(dirname "$0")/.."

FONT=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf
FONT_REG=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
FF="ffmpeg -hide_banner -loglevel error -y"
TS="-f mpegts -pes_payload_size 0 -mpegts_start_pid 0x100 -mpegts_pmt_start_pid 0x1000"
H264="-c:v libx264 -profile:v high -pix_fmt yuv420p -g 25 -keyint_min 25 -sc_threshold 0"
AAC="-c:a aac -b:a 64k -ac 2 -ar 48000"
DEMO_V="-preset medium -b:v 450k -maxrate 600k -bufsize 900k"
SLATE_V="-preset medium -tune stillimage -crf 28"
LABEL="fontfile=$FONT:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=12"

mkdir -p assets/demo assets/slate test/fixtures

# Demo 1: "Test Pattern" — testsrc2 with a 1 kHz tone.
$FF -f lavfi -i "testsrc2=s=1280x720:r=25" -f lavfi -i "sine=f=1000:sample_rate=48000" -t 8 \
  -vf "drawtext=$LABEL:fontsize=40:x=(w-tw)/2:y=h-90:text='tunerbridge demo · Test Pattern'" \
  -af "volume=0.3,pan=stereo|c0=c0|c1=c0" $H264 $DEMO_V $AAC $TS assets/demo/test-pattern.mpegts

# Demo 2: "Colour Bars" — SMPTE HD bars with a 440 Hz tone.
$FF -f lavfi -i "smptehdbars=s=1280x720:r=25" -f lavfi -i "sine=f=440:sample_rate=48000" -t 8 \
  -vf "drawtext=$LABEL:fontsize=40:x=(w-tw)/2:y=60:text='tunerbridge demo · Colour Bars'" \
  -af "volume=0.3,pan=stereo|c0=c0|c1=c0" $H264 $DEMO_V $AAC $TS assets/demo/colour-bars.mpegts

# Demo 3: "Demo Card" — a title card with a ball moving on an 8 s period and a beep every second.
$FF -f lavfi -i "color=c=0x1b2a41:s=1280x720:r=25" \
  -f lavfi -i "aevalsrc='0.25*sin(2*PI*880*t)*lt(mod(t\,1)\,0.1)|0.25*sin(2*PI*880*t)*lt(mod(t\,1)\,0.1)':s=48000" -t 8 \
  -vf "drawbox=x='590+400*sin(2*PI*t/8)':y=430:w=100:h=100:color=orange:t=fill,\
drawtext=fontfile=$FONT:fontcolor=white:fontsize=72:x=(w-tw)/2:y=160:text='tunerbridge demo',\
drawtext=fontfile=$FONT_REG:fontcolor=0xc0d0e0:fontsize=36:x=(w-tw)/2:y=270:text='Demo Card · this is a test channel',\
drawtext=fontfile=$FONT_REG:fontcolor=white:fontsize=48:x=(w-tw)/2:y=600:text='%{eif\:mod(t\,8)\:d} / 8'" \
  $H264 $DEMO_V $AAC $TS assets/demo/demo-card.mpegts

# Slates: still picture + silent audio, 2 s.
slate() { # <out> <width> <height> <title> <subtitle>
  size=$(( $3 / 12 ))
  $FF -f lavfi -i "color=c=0x202020:s=$2x$3:r=25" -f lavfi -i "anullsrc=r=48000:cl=stereo" -t 2 \
    -vf "drawtext=fontfile=$FONT:fontcolor=white:fontsize=$size:x=(w-tw)/2:y=h/2-th-$size/4:text='$4',\
drawtext=fontfile=$FONT_REG:fontcolor=0xb0b0b0:fontsize=$(( size / 2 )):x=(w-tw)/2:y=h/2+$size/3:text='$5'" \
    $H264 $SLATE_V $AAC $TS "$1"
}
slate assets/slate/unavailable-720.mpegts 1280 720 'Channel unavailable' 'trying to reconnect…'
slate assets/slate/unavailable-1080.mpegts 1920 1080 'Channel unavailable' 'trying to reconnect…'
slate assets/slate/unavailable-576.mpegts 720 576 'Channel unavailable' 'trying to reconnect…'
slate assets/slate/busy-720.mpegts 1280 720 'All tuners are in use' 'please try again later'

# Fixture: different PIDs and a far-away timeline (splice tests: PID remap + timestamp jump).
$FF -f lavfi -i "testsrc=s=640x360:r=25" -f lavfi -i "sine=f=660:sample_rate=48000" -t 4 \
  -af "pan=stereo|c0=c0|c1=c0" $H264 -preset veryfast -b:v 200k $AAC -output_ts_offset 50000 \
  -f mpegts -pes_payload_size 0 -mpegts_start_pid 0x300 -mpegts_pmt_start_pid 0x1100 test/fixtures/alt-pids.mpegts

# Fixture: MPEG-2 video + MP2 audio (codec-change tests).
$FF -f lavfi -i "testsrc=s=640x360:r=25" -f lavfi -i "sine=f=660:sample_rate=48000" -t 2 \
  -c:v mpeg2video -g 25 -b:v 300k -c:a mp2 -b:a 128k -ac 2 -ar 48000 $TS test/fixtures/mpeg2.mpegts

ls -l assets/demo assets/slate test/fixtures
