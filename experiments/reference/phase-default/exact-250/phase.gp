set terminal pngcairo size 1500,650 font 'Sans,11'
set output 'phase.png.tmp'
set datafile separator ','
set multiplot layout 1,2 title "Benign and harmful overfitting over (n, d): Figure 2's settings (m = 400); each box a cell, the mean over its seeds"
set logscale xy
set xrange [178.57142857142858:350]
set yrange [0.029695392023038596:33.675258411277056]
set xlabel 'training set size n'
set ylabel 'd / n'
set key outside below font ',9'
set xtics (250)
set ytics ('0.06' 0.06, '0.245' 0.244949, '1' 1, '4.08' 4.08248, '16.7' 16.6667)
set samples 200
C = 16; delta = 0.1; m = 400
a1(x) = C * (log(x / delta)**2 > log(m / delta) ? log(x / delta)**2 : log(m / delta)) / x
$paper << EOD
300,16.6667,(300; 5000) benign
5000,0.06,(5000; 300) harmful
EOD
set title 'clean-test accuracy at the end'
set palette defined (0 '#b2182b', 0.5 '#f7f7f7', 1 '#2166ac')
set cbrange [0.5:1]
plot 'phase-boxes.csv' skip 1 using 1:2:3:4:5:6:7 with boxxyerror fs solid 1.0 noborder lc palette notitle, \
     '' skip 1 using 1:($9 > 0 ? $2 : 1/0) with points pt 2 ps 2 lw 2 lc 'black' title 'still running', \
     a1(x) with lines lw 2 lc 'black' title sprintf('A1: d = C max(log^2(n/delta), log(m/delta)), C = %g, delta = %g', C, delta), \
     'boundary.csv' skip 1 using 1:2 with linespoints lw 2 pt 7 lc 'black' dt 2 title 'boundary (cost -1 point)', \
     $paper using 1:2 with points pt 6 ps 3 lw 2 lc 'black' title "the paper's panels", \
     $paper using 1:2:3 with labels offset 0,1.6 font ',9' notitle
set title 'cost of the fit: clean-test accuracy at the end minus its best from the jump on (points)'
set palette defined (0 '#b2182b', 1 '#f7f7f7')
set cbrange [-5:0]
plot 'phase-boxes.csv' skip 1 using 1:2:3:4:5:6:(100 * $8) with boxxyerror fs solid 1.0 noborder lc palette notitle, \
     '' skip 1 using 1:($9 > 0 ? $2 : 1/0) with points pt 2 ps 2 lw 2 lc 'black' title 'still running', \
     a1(x) with lines lw 2 lc 'black' title 'A1', \
     'boundary.csv' skip 1 using 1:2 with linespoints lw 2 pt 7 lc 'black' dt 2 title 'boundary', \
     $paper using 1:2 with points pt 6 ps 3 lw 2 lc 'black' title "the paper's panels", \
     $paper using 1:2:3 with labels offset 0,1.6 font ',9' notitle
unset multiplot

set terminal svg size 1500,650 font 'Sans,11' dynamic
set output 'phase.svg.tmp'
set datafile separator ','
set multiplot layout 1,2 title "Benign and harmful overfitting over (n, d): Figure 2's settings (m = 400); each box a cell, the mean over its seeds"
set logscale xy
set xrange [178.57142857142858:350]
set yrange [0.029695392023038596:33.675258411277056]
set xlabel 'training set size n'
set ylabel 'd / n'
set key outside below font ',9'
set xtics (250)
set ytics ('0.06' 0.06, '0.245' 0.244949, '1' 1, '4.08' 4.08248, '16.7' 16.6667)
set samples 200
C = 16; delta = 0.1; m = 400
a1(x) = C * (log(x / delta)**2 > log(m / delta) ? log(x / delta)**2 : log(m / delta)) / x
$paper << EOD
300,16.6667,(300; 5000) benign
5000,0.06,(5000; 300) harmful
EOD
set title 'clean-test accuracy at the end'
set palette defined (0 '#b2182b', 0.5 '#f7f7f7', 1 '#2166ac')
set cbrange [0.5:1]
plot 'phase-boxes.csv' skip 1 using 1:2:3:4:5:6:7 with boxxyerror fs solid 1.0 noborder lc palette notitle, \
     '' skip 1 using 1:($9 > 0 ? $2 : 1/0) with points pt 2 ps 2 lw 2 lc 'black' title 'still running', \
     a1(x) with lines lw 2 lc 'black' title sprintf('A1: d = C max(log^2(n/delta), log(m/delta)), C = %g, delta = %g', C, delta), \
     'boundary.csv' skip 1 using 1:2 with linespoints lw 2 pt 7 lc 'black' dt 2 title 'boundary (cost -1 point)', \
     $paper using 1:2 with points pt 6 ps 3 lw 2 lc 'black' title "the paper's panels", \
     $paper using 1:2:3 with labels offset 0,1.6 font ',9' notitle
set title 'cost of the fit: clean-test accuracy at the end minus its best from the jump on (points)'
set palette defined (0 '#b2182b', 1 '#f7f7f7')
set cbrange [-5:0]
plot 'phase-boxes.csv' skip 1 using 1:2:3:4:5:6:(100 * $8) with boxxyerror fs solid 1.0 noborder lc palette notitle, \
     '' skip 1 using 1:($9 > 0 ? $2 : 1/0) with points pt 2 ps 2 lw 2 lc 'black' title 'still running', \
     a1(x) with lines lw 2 lc 'black' title 'A1', \
     'boundary.csv' skip 1 using 1:2 with linespoints lw 2 pt 7 lc 'black' dt 2 title 'boundary', \
     $paper using 1:2 with points pt 6 ps 3 lw 2 lc 'black' title "the paper's panels", \
     $paper using 1:2:3 with labels offset 0,1.6 font ',9' notitle
unset multiplot

unset output
