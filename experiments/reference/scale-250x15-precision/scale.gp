set terminal pngcairo size 1100,700 font 'Sans,11'
set output 'scale.png.tmp'
set datafile separator ','
set title "Figure 2's n >> d panel at several sizes (n/d = 50/3, m = 400; mean over 1 seed(s))"
set logscale x
x0(t) = t == 0 ? 0.5 : t
set xrange [0.5:10000000]
set yrange [0.45:1.02]
set format x '10^{%T}'
set xlabel 'gradient descent steps (step 0 drawn at the left edge)'
set ylabel 'accuracy (solid: train, dashed: test)'
set key bottom left
set grid
plot '250x15-f64.csv' using (x0($1)):2 with lines lw 2 lc 1 title '250x15-f64 train', '250x15-f64.csv' using (x0($1)):5 with lines lw 2 dt 2 lc 1 title '250x15-f64 test', '250x15-f32.csv' using (x0($1)):2 with lines lw 2 lc 2 title '250x15-f32 train', '250x15-f32.csv' using (x0($1)):5 with lines lw 2 dt 2 lc 2 title '250x15-f32 test'

set terminal svg size 1100,700 font 'Sans,11' dynamic
set output 'scale.svg.tmp'
set datafile separator ','
set title "Figure 2's n >> d panel at several sizes (n/d = 50/3, m = 400; mean over 1 seed(s))"
set logscale x
x0(t) = t == 0 ? 0.5 : t
set xrange [0.5:10000000]
set yrange [0.45:1.02]
set format x '10^{%T}'
set xlabel 'gradient descent steps (step 0 drawn at the left edge)'
set ylabel 'accuracy (solid: train, dashed: test)'
set key bottom left
set grid
plot '250x15-f64.csv' using (x0($1)):2 with lines lw 2 lc 1 title '250x15-f64 train', '250x15-f64.csv' using (x0($1)):5 with lines lw 2 dt 2 lc 1 title '250x15-f64 test', '250x15-f32.csv' using (x0($1)):2 with lines lw 2 lc 2 title '250x15-f32 train', '250x15-f32.csv' using (x0($1)):5 with lines lw 2 dt 2 lc 2 title '250x15-f32 test'

unset output
